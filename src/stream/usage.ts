// Reading OpenAI `usage` objects: from a parsed chunk, or straight out of a
// JSON body's bytes without parsing the whole body (an embeddings answer can
// be hundreds of KB of floats; its usage is a few bytes at the end).

import type { Usage } from '../events/types.js';
import { jsonStringEnd, skipJsonSpace } from '../json-bytes.js';

interface RawUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  total_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  // Anthropic-style names some relays pass through.
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_read_input_tokens?: unknown;
}

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

/** Normalises a provider's usage object; undefined when it holds no token counts. */
export function normalizeUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const u = raw as RawUsage;
  const promptTokens = count(u.prompt_tokens ?? u.input_tokens);
  const completionTokens = count(u.completion_tokens ?? u.output_tokens);
  const reported = count(u.total_tokens);
  if (promptTokens === 0 && completionTokens === 0 && reported === 0) {
    if (u.prompt_tokens === undefined && u.input_tokens === undefined && u.total_tokens === undefined)
      return undefined;
  }
  return {
    promptTokens,
    completionTokens,
    totalTokens: reported || promptTokens + completionTokens,
    cachedPromptTokens: count(u.prompt_tokens_details?.cached_tokens ?? u.cache_read_input_tokens),
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
  };
}

const USAGE_KEY = Buffer.from('"usage"');

/**
 * Finds the top-level `"usage": {...}` in a JSON body by scanning from the end,
 * and parses only that object. Falls back to parsing the whole body.
 */
export function extractUsageFromJson(body: Buffer): Usage | undefined {
  let at = body.lastIndexOf(USAGE_KEY);
  while (at >= 0) {
    let i = skipJsonSpace(body, at + USAGE_KEY.length);
    if (body[i] === 0x3a /* : */) {
      i = skipJsonSpace(body, i + 1);
      if (body[i] === 0x7b /* { */) {
        const end = matchBrace(body, i);
        if (end > 0) {
          try {
            return normalizeUsage(JSON.parse(body.toString('utf8', i, end)));
          } catch {
            break;
          }
        }
      }
      if (body[i] === 0x6e /* n(ull) */) return undefined;
      break;
    }
    at = at === 0 ? -1 : body.lastIndexOf(USAGE_KEY, at - 1);
  }
  try {
    return normalizeUsage((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    return undefined;
  }
}

/** Index just past the `}` matching the `{` at `start`, honouring strings; -1 if unbalanced. */
function matchBrace(buf: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x22 /* " */) {
      const end = jsonStringEnd(buf, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return i + 1;
  }
  return -1;
}
