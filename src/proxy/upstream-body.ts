// The request body sent upstream: the client's bytes unchanged, except where
// a feature must change them (the model name an upstream knows, and
// `stream_options.include_usage` so a stream's usage can be counted exactly).

import type { Endpoint } from '../events/types.js';
import { isEscaped, jsonStringEnd, skipJsonSpace } from '../json-bytes.js';
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
  // Where the model name sits in the client's bytes, looked for once, on the first renaming.
  let range: readonly [number, number] | null | undefined;
  const renamed = (upstreamModel: string): Buffer | string => {
    if (!usageInjected || options === undefined) {
      range ??= modelValueRange(body.raw, model) ?? null;
      if (range) {
        const out = spliceModel(body.raw, range, upstreamModel);
        return usageInjected ? spliceAfterBrace(out) : out;
      }
    }
    return JSON.stringify(rewrite(body.text(), upstreamModel, usageInjected));
  };
  return {
    usageInjected,
    forModel(upstreamModel) {
      if (upstreamModel === model) {
        same ??= JSON.stringify(rewrite(body.text(), upstreamModel, usageInjected));
        return same;
      }
      return renamed(upstreamModel);
    },
  };
}

/**
 * The end of `"model"`: a search for it is ~5x faster than for the whole key,
 * which opens with JSON's most common byte (16 KB: 0.8 against 4 us).
 */
const KEY_TAIL = Buffer.from('del"');
const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * The byte range of the top-level `model` value (its quotes included), found
 * by search rather than by parsing a possibly large conversation; undefined
 * when a search cannot be sure. It can be sure when the body has no `\u`
 * escape (so the key is spelled with its own bytes) and exactly one `"model"`
 * string in it is followed by a colon: the body parsed with a top-level
 * model, so that key is the one. A nested `model` key, a duplicate, or a
 * value that does not read back as `model` leave the renaming to a re-serialisation.
 */
export function modelValueRange(raw: Buffer, model: string): [number, number] | undefined {
  if (raw.indexOf(UNICODE_ESCAPE) >= 0) return undefined;
  let value = -1;
  for (let tail = raw.indexOf(KEY_TAIL); tail >= 0; tail = raw.indexOf(KEY_TAIL, tail + KEY_TAIL.length)) {
    const at = tail - 3; // where `"mo` must start
    if (at < 0 || raw[at] !== 0x22 || raw[at + 1] !== 0x6d /* m */ || raw[at + 2] !== 0x6f /* o */) continue;
    // An escaped quote is inside a string, not the start of one.
    if (isEscaped(raw, at)) continue;
    const colon = skipJsonSpace(raw, tail + KEY_TAIL.length);
    if (raw[colon] !== 0x3a /* : */) continue; // a value, such as "role":"model"
    if (value >= 0) return undefined;
    value = skipJsonSpace(raw, colon + 1);
  }
  if (value < 0 || raw[value] !== 0x22 /* " */) return undefined;
  const end = jsonStringEnd(raw, value);
  if (end < 0 || raw.toString('utf8', value, end) !== JSON.stringify(model)) return undefined;
  return [value, end];
}

/** The client's bytes with the model value at `range` replaced by `upstreamModel`. */
function spliceModel(raw: Buffer, range: readonly [number, number], upstreamModel: string): Buffer {
  const name = Buffer.from(JSON.stringify(upstreamModel));
  return Buffer.concat([raw.subarray(0, range[0]), name, raw.subarray(range[1])]);
}

function rewrite(
  parsed: Record<string, unknown>,
  model: string,
  injectUsage: boolean,
): Record<string, unknown> {
  // Copied, then set: on Node 20 (V8 11.3) a spread followed by more properties
  // takes a slow path, ~1 us for each property after it (docs/benchmarks.md).
  const out: Record<string, unknown> = { ...parsed };
  out.model = model;
  if (injectUsage) {
    const options = parsed.stream_options;
    const streamOptions: Record<string, unknown> = {
      ...(options && typeof options === 'object' ? options : {}),
    };
    streamOptions.include_usage = true;
    out.stream_options = streamOptions;
  }
  return out;
}

/** Inserts the include_usage option right after the body's opening brace. */
function spliceAfterBrace(raw: Buffer): Buffer {
  // The body parsed as a JSON object: its first non-space byte is this brace.
  const brace = raw.indexOf(0x7b /* { */);
  return Buffer.concat([raw.subarray(0, brace + 1), INJECT_USAGE, raw.subarray(brace + 1)]);
}
