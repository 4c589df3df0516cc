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
 * and reads only that object (as bytes when it is plain, else parsed). Falls
 * back to parsing the whole body. `asBytes` false parses the object always:
 * the behaviour the bytes reader is held to (usage.fuzz.test.ts).
 */
export function extractUsageFromJson(body: Buffer, asBytes = true): Usage | undefined {
  let at = body.lastIndexOf(USAGE_KEY);
  while (at >= 0) {
    let i = skipJsonSpace(body, at + USAGE_KEY.length);
    if (body[i] === 0x3a /* : */) {
      i = skipJsonSpace(body, i + 1);
      if (body[i] === 0x7b /* { */) {
        if (asBytes) {
          const canonical = readCanonicalUsage(body, i);
          if (canonical !== undefined) return canonical;
        }
        const quick = asBytes ? readUsageObject(body, i) : undefined;
        if (quick !== undefined) return normalizeUsage(quick);
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

/** A whole number as JSON writes it (no leading zero), exact as a double (at most 15 digits). */
const WHOLE = '(?:0|[1-9][0-9]{0,14})';
/**
 * OpenAI's own layout of a usage object, keys in its order, no spaces, the
 * details as it sends them: one anchored regular expression (native code, one
 * pass) reads it about twice as cheaply as the byte reader below (counted by
 * callgrind: ~6k instructions an answer against ~13k). Anything else (other
 * keys, orders, spacing, escapes, fractions) does not match and goes to that reader.
 */
const CANONICAL_USAGE = new RegExp(
  `^\\{"prompt_tokens":(${WHOLE}),"completion_tokens":(${WHOLE}),"total_tokens":(${WHOLE})` +
    `(?:,"prompt_tokens_details":\\{"cached_tokens":(${WHOLE})(?:,"audio_tokens":${WHOLE})?\\})?` +
    `(?:,"completion_tokens_details":\\{"reasoning_tokens":(${WHOLE})(?:,"audio_tokens":${WHOLE})?` +
    `(?:,"accepted_prediction_tokens":${WHOLE})?(?:,"rejected_prediction_tokens":${WHOLE})?\\})?\\}`,
);
/** Longer than any object CANONICAL_USAGE matches (~330 bytes with every detail at 15 digits). */
const CANONICAL_MAX_BYTES = 512;

/**
 * The usage object whose `{` is at `start`, when it is in OpenAI's layout
 * (what `normalizeUsage` gives for it parsed); undefined otherwise.
 */
export function readCanonicalUsage(body: Buffer, start: number): Usage | undefined {
  const end = Math.min(body.length, start + CANONICAL_MAX_BYTES);
  const m = CANONICAL_USAGE.exec(body.toString('latin1', start, end));
  if (m === null) return undefined;
  const promptTokens = Number(m[1]);
  const completionTokens = Number(m[2]);
  return {
    promptTokens,
    completionTokens,
    totalTokens: Number(m[3]) || promptTokens + completionTokens,
    cachedPromptTokens: m[4] === undefined ? 0 : Number(m[4]),
    reasoningTokens: m[5] === undefined ? 0 : Number(m[5]),
  };
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

/** The usage keys `normalizeUsage` counts, the detail objects it reads, and the one key it reads in each. */
const COUNTS = [
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
];
const DETAILS = ['prompt_tokens_details', 'completion_tokens_details'];
const DETAIL_COUNTS = ['cached_tokens', 'reasoning_tokens'];
const bytesOf = (names: readonly string[]): Buffer[] => names.map((name) => Buffer.from(name));
const COUNT_BYTES = bytesOf(COUNTS);
const DETAIL_BYTES = bytesOf(DETAILS);
const DETAIL_COUNT_BYTES = DETAIL_COUNTS.map((name) => [Buffer.from(name)]);
const DETAIL_COUNT_NAMES = DETAIL_COUNTS.map((name) => [name]);
/** Reading an object none of whose keys is wanted (skipping it). */
const NO_KEYS: Buffer[] = [];

/**
 * Reads the usage object whose `{` is at `start` without a parse: the keys
 * `normalizeUsage` reads, with whole-number or null values, into the object
 * `JSON.parse` would have given it (other keys skipped, their names never
 * decoded). Undefined whenever the text strays from that (escaped keys,
 * fractions or strings where a count goes, arrays, deeper nesting, malformed
 * JSON): the caller then parses it.
 */
function readUsageObject(buf: Buffer, start: number): Record<string, unknown> | undefined {
  const usage: Record<string, unknown> = {};
  return readObject(buf, start, usage, -1) < 0 ? undefined : usage;
}

/**
 * Reads the object whose `{` is at `start` into `into`: the usage object
 * (`detail` -1) or one level down, the detail object `DETAILS[detail]` (or,
 * past the end of DETAILS, an object to skip). Returns the index past its
 * `}`, or -1 to hand over to the parser.
 */
function readObject(buf: Buffer, start: number, into: Record<string, unknown>, detail: number): number {
  const counted = detail < 0 ? COUNT_BYTES : (DETAIL_COUNT_BYTES[detail] ?? NO_KEYS);
  const countNames = detail < 0 ? COUNTS : (DETAIL_COUNT_NAMES[detail] ?? []);
  let i = skipJsonSpace(buf, start + 1);
  if (buf[i] === 0x7d /* } */) return i + 1;
  for (;;) {
    if (buf[i] !== 0x22 /* " */) return -1;
    const close = plainStringEnd(buf, i);
    if (close < 0) return -1;
    const count = nameAt(buf, i + 1, close - 1, counted);
    const nested = detail < 0 && count < 0 ? nameAt(buf, i + 1, close - 1, DETAIL_BYTES) : -1;
    i = skipJsonSpace(buf, close);
    if (buf[i] !== 0x3a /* : */) return -1;
    i = skipJsonSpace(buf, i + 1);
    const c = buf[i];
    if (c === 0x7b /* { */) {
      if (detail >= 0 || count >= 0) return -1; // deeper nesting, or an object where a count goes
      const inner: Record<string, unknown> = {};
      i = readObject(buf, i, inner, nested >= 0 ? nested : DETAILS.length);
      if (i < 0) return -1;
      if (nested >= 0) into[DETAILS[nested]!] = inner;
    } else {
      // A scalar: a count's value must be a whole number or null; any other key's is skipped
      // (a scalar detail reads as no detail, as it does parsed).
      i = readScalar(buf, i);
      if (i < 0) return -1;
      if (count >= 0) {
        if (scalar === SKIPPED) return -1;
        into[countNames[count]!] = scalar;
      } else if (nested >= 0) into[DETAILS[nested]!] = null;
    }
    i = skipJsonSpace(buf, i);
    if (buf[i] === 0x7d /* } */) return i + 1;
    if (buf[i] !== 0x2c /* , */) return -1;
    i = skipJsonSpace(buf, i + 1);
  }
}

/** Stands for a scalar that was skipped over, not read (a string, a boolean, a fraction, a long number). */
const SKIPPED = Symbol('skipped');

/** The last scalar `readScalar` read (one module-level slot: no object per value). */
let scalar: number | null | typeof SKIPPED = null;

/**
 * Reads the scalar at `at` into `scalar` (a whole number, null, or SKIPPED)
 * and returns the index past it; -1 for anything else (arrays, `-`, malformed).
 */
function readScalar(buf: Buffer, at: number): number {
  let i = at;
  const c = buf[i];
  if (c !== undefined && c >= 0x30 && c <= 0x39) {
    // JSON allows no leading zero.
    if (c === 0x30 && buf[i + 1]! >= 0x30 && buf[i + 1]! <= 0x39) return -1;
    let n = 0;
    let digits = 0;
    while (buf[i]! >= 0x30 && buf[i]! <= 0x39) {
      n = n * 10 + (buf[i]! - 0x30);
      i++;
      digits++;
    }
    const next = buf[i];
    if (next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */) {
      scalar = SKIPPED;
      return skipNumberTail(buf, i);
    }
    scalar = digits <= 15 ? n : SKIPPED;
    return i;
  }
  if (c === 0x6e /* n */) {
    scalar = null;
    return spells(buf, i, NULL) ? i + 4 : -1;
  }
  scalar = SKIPPED;
  if (c === 0x74 /* t */) return spells(buf, i, TRUE) ? i + 4 : -1;
  if (c === 0x66 /* f */) return spells(buf, i, FALSE) ? i + 5 : -1;
  if (c === 0x22 /* " */) return plainStringEnd(buf, i);
  return -1;
}

/** The index in `names` of the name spelled by `buf[start, end)`, compared as bytes; -1 if none. */
function nameAt(buf: Buffer, start: number, end: number, names: readonly Buffer[]): number {
  const length = end - start;
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    if (name.length !== length) continue;
    let j = 0;
    while (j < length && buf[start + j] === name[j]) j++;
    if (j === length) return n;
  }
  return -1;
}

/**
 * Index past the closing quote of the string opening at `start`, when it holds
 * no escape (an escape could spell a key another way, and the parser checks
 * them) and no control byte (malformed); else -1.
 */
function plainStringEnd(buf: Buffer, start: number): number {
  for (let k = start + 1; k < buf.length; k++) {
    const c = buf[k]!;
    if (c === 0x22) return k + 1;
    if (c === 0x5c || c < 0x20) return -1;
  }
  return -1;
}

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

function spells(buf: Buffer, at: number, word: Buffer): boolean {
  for (let j = 0; j < word.length; j++) if (buf[at + j] !== word[j]) return false;
  return true;
}

/** Past a number's fraction and exponent (`.5`, `e-3`), at `i` on the `.` or `e`; -1 when malformed. */
function skipNumberTail(buf: Buffer, from: number): number {
  let i = from;
  if (buf[i] === 0x2e) {
    i++;
    if (!(buf[i]! >= 0x30 && buf[i]! <= 0x39)) return -1;
    while (buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  }
  if (buf[i] === 0x65 || buf[i] === 0x45) {
    i++;
    if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
    if (!(buf[i]! >= 0x30 && buf[i]! <= 0x39)) return -1;
    while (buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  }
  return i;
}
