// The request body sent upstream: the client's bytes unchanged, except where
// a feature must change them (the model name an upstream knows, and
// `stream_options.include_usage` so a stream's usage can be counted exactly).

import type { Endpoint } from '../events/types.js';

const INJECT_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

export interface UpstreamBody {
  /** Sheepdog asked for usage the client did not ask for: the usage-only chunk must not reach it. */
  readonly usageInjected: boolean;
  /** The bytes for an upstream that calls the model `upstreamModel`. */
  forModel(upstreamModel: string): Buffer | string;
}

export function prepareUpstreamBody(
  endpoint: Endpoint,
  raw: Buffer,
  parsed: Record<string, unknown>,
  stream: boolean,
): UpstreamBody {
  const options = parsed.stream_options;
  const clientAskedUsage =
    options !== null &&
    typeof options === 'object' &&
    (options as { include_usage?: unknown }).include_usage === true;
  const usageInjected = stream && endpoint !== 'embeddings' && !clientAskedUsage;
  // Splicing keeps the client's bytes as they were; re-serialising is the fallback.
  const bytes = usageInjected && options === undefined ? spliceAfterBrace(raw) : undefined;
  const model = parsed.model;
  let same: Buffer | string | undefined = bytes ?? (usageInjected ? undefined : raw);
  return {
    usageInjected,
    forModel(upstreamModel) {
      if (upstreamModel === model) {
        same ??= JSON.stringify(rewrite(parsed, upstreamModel, usageInjected));
        return same;
      }
      return JSON.stringify(rewrite(parsed, upstreamModel, usageInjected));
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
