// Splits an SSE byte stream into whole events without copying when it can.
// Upstreams almost always send whole events per write, so the common case is
// one indexOf scan per chunk and the original Buffer passed on untouched.

/** One complete SSE event: its raw bytes (terminator included) and its parsed fields. */
export interface SseEvent {
  /** The exact bytes received, including the blank line that ended it. */
  readonly raw: Buffer;
  /** `event:` field, or undefined for the default `message` type. */
  readonly type: string | undefined;
  /** `data:` lines joined with `\n`; undefined when the event has no data (a comment or keep-alive). */
  readonly data: string | undefined;
}

export class SseEventTooLargeError extends Error {
  readonly code = 'SSE_EVENT_TOO_LARGE';
  constructor(limit: number) {
    super(`an SSE event from the upstream exceeded ${limit} bytes`);
  }
}

const LF = 10;
const CR = 13;

export class SseFramer {
  private pending: Buffer | undefined;
  private readonly maxEventBytes: number;

  constructor(maxEventBytes: number) {
    this.maxEventBytes = maxEventBytes;
  }

  /** Bytes of an unfinished event held back so far. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  /** Takes the bytes of an unfinished event (at the end of a stream: a stray line break, or a cut event). */
  flush(): Buffer | undefined {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }

  /**
   * Feeds a chunk; calls `onEvent` with the exact bytes of each event it
   * completes, in order (`parseEvent` reads its fields, when needed). When
   * `onEvent` returns true, framing stops and the unread rest of the chunk is
   * returned (it starts on an event boundary). Throws SseEventTooLargeError
   * when an unfinished event outgrows the limit.
   */
  push(chunk: Buffer, onEvent: (raw: Buffer) => boolean | undefined): Buffer | undefined {
    let buf = chunk;
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      const joined = this.joinStraddling(pending, chunk);
      if (joined.rest === undefined) {
        // The event goes on past this chunk too: keep all of it (one copy, already made).
        if (joined.event.length > this.maxEventBytes) throw new SseEventTooLargeError(this.maxEventBytes);
        this.pending = joined.event;
        return undefined;
      }
      const rest = joined.rest;
      if (onEvent(joined.event) === true) return rest.length > 0 ? rest : undefined;
      if (rest.length === 0) return undefined;
      buf = rest;
    }
    let start = 0;
    for (;;) {
      const end = findEventEnd(buf, start);
      if (end < 0) break;
      // The caller may stop here and take the rest (which starts on an event boundary) itself.
      if (onEvent(buf.subarray(start, end)) === true) return end < buf.length ? buf.subarray(end) : undefined;
      start = end;
    }
    if (start < buf.length) {
      if (buf.length - start > this.maxEventBytes) throw new SseEventTooLargeError(this.maxEventBytes);
      // Copy the tail so the (possibly large) chunk it came from can be freed.
      this.pending = Buffer.from(buf.subarray(start));
    }
    return undefined;
  }

  /**
   * Completes the event `pending` left unfinished with the head of `chunk`,
   * copying only that event's bytes, not the whole chunk (a 64 KB read split
   * mid-event would otherwise be copied whole). `rest`: the chunk after the
   * event; undefined when the event does not end in this chunk (`event` then
   * holds all the bytes so far).
   */
  private joinStraddling(pending: Buffer, chunk: Buffer): { event: Buffer; rest: Buffer | undefined } {
    let take = Math.min(chunk.length, STRADDLE_WINDOW);
    for (;;) {
      const head = Buffer.concat([pending, chunk.subarray(0, take)], pending.length + take);
      const end = findEventEnd(head, 0);
      // An end found at the window's very end may depend on the byte after it (CR, then LF?): widen first.
      if (end >= 0 && (end < head.length || take === chunk.length))
        return { event: head.subarray(0, end), rest: chunk.subarray(end - pending.length) };
      if (take === chunk.length) return { event: head, rest: undefined };
      take = Math.min(chunk.length, take * 8);
    }
  }
}

/** Bytes of the next chunk looked at first for the end of an event a previous chunk left unfinished. */
const STRADDLE_WINDOW = 1024;

/**
 * Index just past the blank line ending the event that starts at `from`, or -1.
 * Lines may end in LF, CRLF or CR, as the SSE spec allows.
 */
export function findEventEnd(buf: Buffer, from: number): number {
  const n = buf.length;
  let i = from;
  // Position of the next CR at or after i (-1: none left). Cached so a chunk
  // without any CR, the common case, is scanned for CR only once.
  let cr = buf.indexOf(CR, i);
  while (i < n) {
    const lf = buf.indexOf(LF, i);
    if (cr >= 0 && cr < i) cr = buf.indexOf(CR, i);
    let lineEnd: number; // index just past this line's terminator
    if (cr >= 0 && (lf < 0 || cr < lf)) {
      if (cr + 1 >= n) return -1; // a CR at the end: wait to see whether LF follows
      lineEnd = buf[cr + 1] === LF ? cr + 2 : cr + 1;
    } else if (lf >= 0) {
      lineEnd = lf + 1;
    } else {
      return -1;
    }
    // A blank line right after this terminator ends the event.
    if (lineEnd >= n) return -1;
    const next = buf[lineEnd];
    if (next === LF) return lineEnd + 1;
    if (next === CR) {
      // A CR blank line ends the event now; if an LF follows in the next chunk it
      // is an empty line of the next event, which carries no field.
      if (lineEnd + 1 >= n) return lineEnd + 1;
      return buf[lineEnd + 1] === LF ? lineEnd + 2 : lineEnd + 1;
    }
    i = lineEnd;
  }
  return -1;
}

const LFLF = Buffer.from('\n\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * The end of the last LF- or CRLF-terminated event that ends at or before
 * `pos` in bytes that start on an event boundary (0: none).
 */
export function lastEventEndAtOrBefore(buf: Buffer, pos: number): number {
  if (pos < 2) return 0;
  // Most reads of a stream end on an event's end: no search then (two native calls saved a read).
  if (
    buf[pos - 1] === LF &&
    (buf[pos - 2] === LF || (buf[pos - 2] === CR && buf[pos - 3] === LF && buf[pos - 4] === CR))
  )
    return pos;
  const lf = buf.lastIndexOf(LFLF, pos - 2);
  const crlf = pos < 4 ? -1 : buf.lastIndexOf(CRLFCRLF, pos - 4);
  return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4);
}

/** Parses the `event:` and `data:` fields of one raw event (comments and other fields ignored). */
export function parseEvent(raw: Buffer): SseEvent {
  const text = raw.toString('utf8');
  // Fast path for the overwhelmingly common shape: a single `data: ...` line.
  if (text.startsWith('data:')) {
    const lf = text.indexOf('\n');
    const cr = text.indexOf('\r');
    const lineEnd = cr >= 0 && (lf < 0 || cr < lf) ? cr : lf;
    if (lineEnd >= 0 && text.length - lineEnd <= 4 && isOnlyLineBreaks(text, lineEnd)) {
      const body = text.charCodeAt(5) === 32 ? 6 : 5;
      return { raw, type: undefined, data: text.slice(body, lineEnd) };
    }
  }
  let type: string | undefined;
  let data: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') type = value;
  }
  return { raw, type, data };
}

function isOnlyLineBreaks(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== LF && c !== CR) return false;
  }
  return true;
}
