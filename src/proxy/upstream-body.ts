// The request body sent upstream: the client's bytes unchanged, except where
// a feature must change them (the model name an upstream knows, and
// `stream_options.include_usage` so a stream's usage can be counted exactly).

import type { Endpoint } from '../events/types.js';
import type { JsonBody } from '../server/body.js';

const INJECT_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

export interface UpstreamBody {
  /** Sheepdog asked for usage the client did not ask for: the usage-only chunk must not reach it. */
  readonly usageInjected: boolean;
  /** The bytes for an upstream that calls the model `upstreamModel`. */
  forModel(upstreamModel: string): Buffer | string;
}

/** The body's fields the relay read: its model name as validated, `stream`, and `stream_options`. */
export interface BodyFields {
  readonly model: string;
  readonly stream: boolean;
  readonly streamOptions: unknown;
}

export function prepareUpstreamBody(endpoint: Endpoint, body: JsonBody, fields: BodyFields): UpstreamBody {
  const { model, stream, streamOptions: options } = fields;
  const clientAskedUsage =
    options !== null &&
    typeof options === 'object' &&
    (options as { include_usage?: unknown }).include_usage === true;
  const usageInjected = stream && endpoint !== 'embeddings' && !clientAskedUsage;
  // Splicing keeps the client's bytes as they were; re-serialising (the properly decoded body) is the fallback.
  const bytes = usageInjected && options === undefined ? spliceAfterBrace(body.raw) : undefined;
  let same: Buffer | string | undefined = bytes ?? (usageInjected ? undefined : body.raw);
  return {
    usageInjected,
    forModel(upstreamModel) {
      if (upstreamModel === model) {
        same ??= JSON.stringify(rewrite(body.text(), upstreamModel, usageInjected));
        return same;
      }
      return JSON.stringify(rewrite(body.text(), upstreamModel, usageInjected));
    },
  };
}

function rewrite(
  parsed: Record<string, unknown>,
  model: string,
  injectUsage: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parsed, model };
  if (injectUsage) {
    const options = parsed.stream_options;
    out.stream_options = { ...(options && typeof options === 'object' ? options : {}), include_usage: true };
  }
  return out;
}

/** Inserts the include_usage option right after the body's opening brace. */
function spliceAfterBrace(raw: Buffer): Buffer | undefined {
  const brace = raw.indexOf(0x7b /* { */);
  if (brace < 0) return undefined;
  return Buffer.concat([raw.subarray(0, brace + 1), INJECT_USAGE, raw.subarray(brace + 1)]);
}
