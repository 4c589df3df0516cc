// The `"usage":null` an OpenAI-style upstream adds to every chunk once
// `stream_options.include_usage` is set. When Sheepdog set it and the client
// did not, the client must get the bytes it would have got without Sheepdog,
// so the field goes too, not only the usage-only chunk.
//
// The removal compacts the bytes in place: they are a fresh upstream read
// (or an event the framer joined) that nothing else holds yet, so no new
// buffer is allocated (a read of a 20-chunk stream is ~5 KB, past Node's
// 4 KB pooled-allocation limit: every copy was its own ArrayBuffer).

/** OpenAI's own spelling, found by `indexOf` on the read's latin1 text. */
const COMPACT = ',"usage":null';
/** Any other spelling left after that: whitespace around the colon, or the first key. */
const LOOSE = /"usage"[ \t]*:[ \t]*null/;
/**
 * Inside a JSON string every quote is escaped (`\"usage\"`), so only a real
 * key matches. (A regular expression over every read costs ~25 us per 5 KB:
 * it only runs when LOOSE finds such a spelling.)
 */
const GENERAL = /,[ \t]*"usage"[ \t]*:[ \t]*null(?=[ \t]*[,}])|(?<=\{[ \t]*)"usage"[ \t]*:[ \t]*null[ \t]*,/g;

/**
 * `bytes` without `"usage":null` fields: the same Buffer when it has none,
 * else a shorter view of it, compacted in place (its old contents are gone).
 */
export function withoutUsageNull(bytes: Buffer): Buffer {
  return stripUsageNull(bytes).bytes;
}

/**
 * The same, with the read's latin1 text (one character per byte), which the
 * relay scans next anyway: one decode of a read serves both. The text is the
 * read as it arrived; `ReadText` maps its positions onto the compacted bytes
 * (decoding those a second time cost a copy of every read).
 */
export function stripUsageNull(bytes: Buffer): { bytes: Buffer; text: ReadText } {
  // Latin1 maps each byte to one character and back, so UTF-8 text survives the round trip.
  const text = bytes.toString('latin1');
  let at = text.indexOf(COMPACT);
  if (at < 0) {
    // A provider writes its JSON one way: the loose search only runs where the compact one found nothing.
    if (!LOOSE.test(text)) return { bytes, text: new ReadText(text, NO_CUTS) };
    const stripped = text.replace(GENERAL, '');
    if (stripped.length === text.length) return { bytes, text: new ReadText(text, NO_CUTS) };
    const n = bytes.write(stripped, 0, 'latin1');
    return { bytes: bytes.subarray(0, n), text: new ReadText(stripped, NO_CUTS) };
  }
  // Move each run between two fields left over the removed ones.
  const cuts: number[] = [];
  let to = at;
  let from = at + COMPACT.length;
  for (;;) {
    cuts.push(to);
    at = text.indexOf(COMPACT, from);
    const end = at < 0 ? text.length : at;
    bytes.copyWithin(to, from, end);
    to += end - from;
    if (at < 0) break;
    from = at + COMPACT.length;
  }
  return { bytes: bytes.subarray(0, to), text: new ReadText(text, cuts) };
}

const NO_CUTS: readonly number[] = [];

/**
 * A read's latin1 text before `,"usage":null` fields were cut from its bytes,
 * and where they were cut: positions in the bytes map to positions in the
 * text and back. Cheaper than decoding the compacted bytes again (a 20-chunk
 * read is ~6 KB; it has ~20 cuts).
 */
export class ReadText {
  /** The read's text; `cuts` says where it differs from the bytes. */
  readonly text: string;
  /** Where each removed field was, as positions in the compacted bytes (ascending). */
  private readonly cuts: readonly number[];

  constructor(text: string, cuts: readonly number[]) {
    this.text = text;
    this.cuts = cuts;
  }

  /** The text position of the compacted bytes' position `at` (past the fields removed up to it). */
  textIndex(at: number): number {
    let i = 0;
    while (i < this.cuts.length && this.cuts[i]! <= at) i++;
    return at + i * COMPACT.length;
  }

  /**
   * The compacted bytes' position of text position `index`, which must not lie
   * inside a removed field (nothing the skim searches for can start in one).
   */
  bytesIndex(index: number): number {
    let i = 0;
    while (i < this.cuts.length && this.cuts[i]! + i * COMPACT.length < index) i++;
    return index - i * COMPACT.length;
  }
}
