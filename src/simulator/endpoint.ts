// The contract between the server and the endpoint modules: a pure function from request body to a reply.
// Endpoints never touch sockets or faults; the server applies latency, errors and rate limits around them.
import { invalidParam, invalidRequest, missingParam } from './errors.js';
import type { CompletionOptions } from './generate.js';
import { isRecord } from './prompt.js';
import type { StreamPlan } from './sse-stream.js';
import type { UsageTotals } from './types.js';

export type Reply =
  /** Rejected before any fault or rate-limit accounting (400). */
  | { kind: 'invalid'; status: number; body: string }
  /** `rateTokens` null: the endpoint is not rate limited (no x-ratelimit-* headers). */
  | { kind: 'json'; body: string; usage: UsageTotals | null; rateTokens: number | null }
  | { kind: 'stream'; plan: StreamPlan; rateTokens: number };

export type Endpoint = (body: unknown) => Reply;

/** Shared by all endpoints of one simulator instance. */
export interface EndpointConfig {
  seed: number;
  completion: CompletionOptions;
  tokensPerChunk: number;
  models: readonly string[];
  /** A fresh number per response, for `chatcmpl-…`-style ids. */
  nextId: () => number;
}

export const SYSTEM_FINGERPRINT = 'fp_sheepdog_sim';

export function invalid(body: string): Reply {
  return { kind: 'invalid', status: 400, body };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function usageTotals(promptTokens: number, completionTokens: number): UsageTotals {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export type Checked = { rejected: Reply } | { body: Record<string, unknown> };

/** The checks every model endpoint shares: a JSON object with `model` and the `required` field. */
export function checkCommon(body: unknown, required: string): Checked {
  if (!isRecord(body)) return rejected(invalidRequest('The request body must be a JSON object.', null));
  if (typeof body.model !== 'string' || body.model === '') return rejected(missingParam('model'));
  if (body[required] === undefined || body[required] === null) return rejected(missingParam(required));
  for (const cap of ['max_tokens', 'max_completion_tokens']) {
    const value = body[cap];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      return rejected(invalidParam(cap, 'an integer of at least 1'));
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return rejected(invalidParam('stream', 'a boolean'));
  }
  return { body };
}

function rejected(errorBody: string): Checked {
  return { rejected: invalid(errorBody) };
}

/** OpenAI sends usage on a stream only when asked with `stream_options.include_usage`. */
export function wantsStreamUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return isRecord(options) && options.include_usage === true;
}
