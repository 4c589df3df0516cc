// An upstream response's headers, as far as the relay reads them, decoded
// from undici's raw name/value list into one fixed shape: the content type,
// and the list of headers the client gets too (rate limits, Retry-After,
// OpenAI's processing time, version and model), names lower-cased.
//
// The list is what every reader wants as it is: the client's `writeHead`
// takes it appended to Sheepdog's own headers, the metrics read the rate
// limits off it. An object keyed by header name, as Node gives, cost every
// response stores and loads on a dictionary-shaped object (megamorphic in
// V8), a `for...in` over it and a second test of each name to pick what the
// client gets.

/**
 * The names the relay reads, matched on their bytes (no decoding: ~20 ns a
 * name against ~150 for `toString` and `toLowerCase`). Other `x-ratelimit-*`
 * names are decoded and read too. The upstream's own `x-request-id`, cookies,
 * auth challenges, framing and other `openai-*` headers (its organisation)
 * are never read, so they never reach the client.
 */
export const KNOWN_HEADER_NAMES: readonly string[] = [
  'content-type',
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'openai-processing-ms',
  'openai-version',
  'openai-model',
];
const CONTENT_TYPE = KNOWN_HEADER_NAMES.indexOf('content-type');
/** Every other `x-ratelimit-*` name is read as well: relays invent their own (`-tokens-day`, ...). */
const RATE_LIMIT_FAMILY = bytesOf('x-ratelimit-');

/**
 * A name's bytes as a plain array of small integers: V8 reads those with fewer
 * checks than a Buffer's (7% of `readHeaders`, counted by callgrind).
 */
function bytesOf(name: string): number[] {
  return Array.from(Buffer.from(name, 'latin1'));
}

export class UpstreamHeaders {
  /** `content-type` as sent; undefined when there was none. */
  contentType: string | undefined = undefined;
  /**
   * The headers the client gets as well, name then value, names lower-case:
   * `x-ratelimit-*`, `retry-after`, `retry-after-ms`, `openai-processing-ms`,
   * `openai-version`, `openai-model`. Each name once, with its first value.
   */
  readonly passThrough: string[] = [];

  /** A header's value by lower-case name, if the relay read it. */
  get(name: string): string | undefined {
    if (name === 'content-type') return this.contentType;
    const list = this.passThrough;
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
    return undefined;
  }

  /** Every header read, by name: for tests and for reading by eye. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.contentType !== undefined) out['content-type'] = this.contentType;
    for (let i = 0; i < this.passThrough.length; i += 2) out[this.passThrough[i]!] = this.passThrough[i + 1]!;
    return out;
  }

  /** The headers an object names, read as an upstream's would be (for tests). */
  static of(headers: Readonly<Record<string, string>>): UpstreamHeaders {
    return readHeaders(Object.entries(headers).flat());
  }
}

/**
 * The known names of one length, and the first position where they differ:
 * the byte there picks the one candidate, which is then compared whole
 * (OpenAI's six rate-limit names share their first 12 bytes).
 */
interface SameLength {
  readonly at: number;
  /** Index into KNOWN_HEADER_NAMES + 1, by the (lower-cased) byte at `at`; 0: none. */
  readonly byByte: Uint8Array;
}
/** By name length: arrays throughout, so no hashing per header. */
const BY_LENGTH: Array<SameLength | undefined> = [];
const KNOWN_BYTES = KNOWN_HEADER_NAMES.map(bytesOf);
for (const length of new Set(KNOWN_HEADER_NAMES.map((n) => n.length))) {
  const names = KNOWN_HEADER_NAMES.filter((n) => n.length === length);
  let at = 0;
  while (at < length - 1 && names.every((n) => n.charCodeAt(at) === names[0]!.charCodeAt(at))) at++;
  const byByte = new Uint8Array(128);
  for (const name of names) {
    const byte = name.charCodeAt(at);
    if (byByte[byte] !== 0) throw new Error(`known header names of length ${length} clash`);
    byByte[byte] = KNOWN_HEADER_NAMES.indexOf(name) + 1;
  }
  BY_LENGTH[length] = { at, byByte };
}

const codeAt = (field: Buffer | string, i: number): number =>
  typeof field === 'string' ? field.charCodeAt(i) : field[i]!;

/** Whether `field` spells `bytes` (lower-case) in any case, from position `from`. */
function spells(field: Buffer | string, bytes: readonly number[], from: number): boolean {
  // Header names are tokens: setting bit 0x20 lower-cases letters and leaves `-` and digits as they are.
  // Two loops rather than codeAt in one: each stays monomorphic (undici hands over Buffers).
  if (typeof field === 'string') {
    for (let i = from; i < bytes.length; i++) if ((field.charCodeAt(i) | 0x20) !== bytes[i]) return false;
  } else {
    for (let i = from; i < bytes.length; i++) if ((field[i]! | 0x20) !== bytes[i]) return false;
  }
  return true;
}

/** The index in KNOWN_HEADER_NAMES of the name `field` spells (in any case), or -1. */
function knownIndex(field: Buffer | string): number {
  const group = BY_LENGTH[field.length];
  if (group === undefined) return -1;
  const byte = codeAt(field, group.at) | 0x20;
  const index = byte < 128 ? group.byByte[byte]! - 1 : -1;
  return index >= 0 && spells(field, KNOWN_BYTES[index]!, 0) ? index : -1;
}

/** Decodes only the headers the relay and its subscribers read. */
export function readHeaders(raw: ReadonlyArray<Buffer | string>): UpstreamHeaders {
  const headers = new UpstreamHeaders();
  const list = headers.passThrough;
  let seen = 0; // a bit per known name read: the first value wins, as Node keeps it
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i]!;
    // Skip most unread names (date, connection, keep-alive, ...) on their first byte and length, undecoded.
    const first = codeAt(field, 0) | 0x20;
    if (first === 0x63 /* c */) {
      if (field.length !== 12) continue;
    } else if (first !== 0x78 /* x */ && first !== 0x72 /* r */ && first !== 0x6f /* o */) continue;
    const known = knownIndex(field);
    if (known >= 0) {
      const bit = 1 << known;
      if ((seen & bit) !== 0) continue;
      seen |= bit;
      const value = raw[i + 1]!.toString('latin1');
      if (known === CONTENT_TYPE) headers.contentType = value;
      else list.push(KNOWN_HEADER_NAMES[known]!, value);
    } else if (field.length > RATE_LIMIT_FAMILY.length && spells(field, RATE_LIMIT_FAMILY, 0)) {
      const name = field.toString('latin1').toLowerCase();
      if (headers.get(name) === undefined) list.push(name, raw[i + 1]!.toString('latin1'));
    }
  }
  return headers;
}
