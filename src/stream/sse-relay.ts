// Relays an upstream SSE body to the client as it arrives, accounting each
// event on the way. Nothing is sent to the client until the first token (or
// the end) arrives, so an upstream that fails or stalls before it can still be
// retried elsewhere without the client seeing anything.

import type { ChunkAccountant, EventKind } from './chunk-accountant.js';
import { parseEvent, SseFramer } from './sse-framer.js';
import { type ReadText, stripUsageNull, withoutUsageNull } from './usage-null.js';

export interface SseRelayOptions {
  readonly accountant: ChunkAccountant;
  readonly maxEventBytes: number;
  /** Sheepdog asked for usage, the client did not: drop the usage-only chunk and every `"usage":null`. */
  readonly dropUsageOnly: boolean;
  /**
   * Claims the client and sends it the status line and headers; called once,
   * before the first write. False when another attempt already holds the client.
   */
  readonly commit: () => boolean;
  /** Writes to the client; false means its buffer is full (pause the upstream). */
  readonly write: (bytes: Buffer) => boolean;
  /** Writes several pieces in one go (one syscall), without joining them first. */
  readonly writeMany: (pieces: readonly Buffer[]) => boolean;
  readonly onFirstToken: () => void;
}

/** Up to this size, pieces of one read are joined before they are written (see SseRelay.forward). */
const JOIN_MAX_BYTES = 8 * 1024;

/** How the upstream body ended, as far as the relay can tell. */
export type SseEnd = 'done' | 'cut' | 'error_event';

export class SseRelay {
  private readonly options: SseRelayOptions;
  private readonly framer: SseFramer;
  /** Events held back until commit (role chunk and such); comments are not kept. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  committed = false;
  /** False after the commit's own write filled the client's buffer. */
  private drained = true;
  sawFirstToken = false;
  /** The upstream sent an error event before anything reached the client. */
  failedBeforeCommit = false;
  /** Another attempt claimed the client first: this stream must stop. */
  lost = false;

  constructor(options: SseRelayOptions) {
    this.options = options;
    this.framer = new SseFramer(options.maxEventBytes);
  }

  /**
   * Feeds one upstream chunk. Returns false when the client is backpressured.
   * Throws SseEventTooLargeError on an oversized event. `read` must be the
   * caller's to give away (a socket read is): it may be rewritten in place.
   */
  push(read: Buffer): boolean {
    // The `"usage":null` fields Sheepdog caused go on the way in, once per
    // read (see usage-null.ts): everything after sees, holds and forwards
    // clean bytes, and the skim reuses the decoded text.
    let chunk = read;
    let text: ReadText | undefined;
    if (this.options.dropUsageOnly) ({ bytes: chunk, text } = stripUsageNull(read));
    const wasWhole = this.framer.pendingBytes === 0;
    const heldBefore = this.held.length;
    const out: Buffer[] = [];
    let forwardedAll = true;
    let count = 0;
    // The first event of a read that completes one a previous read left
    // unfinished was cleaned in two halves: a field split between them is still in it.
    let straddling = !wasWhole && this.options.dropUsageOnly;
    // One chance per read to skim: at its start when it starts on an event
    // boundary, else right after its first event (the one a previous read
    // left unfinished, or the first token, often in the same read as the
    // whole stream).
    let trySkim = !(this.committed && wasWhole);
    const onEvent = (event: Buffer): boolean => {
      count++;
      let raw = event;
      if (straddling) {
        straddling = false;
        raw = withoutUsageNull(raw);
      }
      if (!this.keep(raw, this.classify(raw), out)) forwardedAll = false;
      if (trySkim && this.committed) {
        trySkim = false;
        return true;
      }
      return false;
    };
    // Mid-stream, plain content events go straight through without being read one by one.
    // (What the framer leaves is always the chunk's tail: it starts at chunk.length - rest.length.)
    let rest: Buffer | undefined = trySkim ? chunk : this.skim(chunk, out, text, 0);
    if (rest) rest = this.framer.push(rest, onEvent);
    if (rest) rest = this.skim(rest, out, text, chunk.length - rest.length);
    if (rest) this.framer.push(rest, onEvent);
    if (out.length > 0) count++;
    if (!this.committed || count === 0) return this.takeDrained();
    // Zero-copy: the chunk was exactly the events we forward, unchanged
    // (held ones included, when it was this chunk that committed them).
    if (forwardedAll && wasWhole && heldBefore === 0 && this.framer.pendingBytes === 0)
      return this.send(chunk);
    const drained = this.takeDrained();
    if (out.length === 0) return drained;
    return this.forward(out) && drained;
  }

  /**
   * Sends the events kept from one read. Small runs are joined (one chunk on
   * the wire); large ones, such as most of a 64 KB read around a dropped or
   * straddling event, go as they are rather than copied.
   */
  private forward(out: Buffer[]): boolean {
    if (out.length === 1) return this.send(out[0]!);
    let bytes = 0;
    for (const piece of out) bytes += piece.length;
    return bytes <= JOIN_MAX_BYTES ? this.send(Buffer.concat(out, bytes)) : this.options.writeMany(out);
  }

  /**
   * Moves the skimmable prefix of `buf` (whole plain content events) to
   * `out`; returns what is left. `text`: the read's text, when already
   * decoded; `buf` starts at its position `at`.
   */
  private skim(buf: Buffer, out: Buffer[], text: ReadText | undefined, at: number): Buffer | undefined {
    const n = this.options.accountant.skimPrefix(buf, text, at);
    if (n === 0) return buf;
    out.push(n === buf.length ? buf : buf.subarray(0, n));
    return n === buf.length ? undefined : buf.subarray(n);
  }

  /** The upstream body ended cleanly (no transport error). */
  end(): SseEnd {
    // A stray line break held back (a CRLF split after its CR) still belongs to the client.
    const rest = this.framer.flush();
    if (rest && this.committed && /^[\r\n]+$/.test(rest.toString('latin1'))) this.options.write(rest);
    if (this.options.accountant.streamError) return 'error_event';
    if (!this.options.accountant.sawDone) return 'cut';
    if (!this.committed) this.commitNow();
    return this.lost ? 'cut' : 'done';
  }

  private send(bytes: Buffer): boolean {
    return this.options.write(bytes);
  }

  private takeDrained(): boolean {
    const drained = this.drained;
    this.drained = true;
    return drained;
  }

  private classify(raw: Buffer): EventKind | 'comment' {
    const accountant = this.options.accountant;
    // After the first token most events need no parsing at all (see ChunkAccountant.onRawEvent).
    const quick = accountant.onRawEvent(raw);
    if (quick !== undefined) return quick;
    const event = parseEvent(raw);
    const kind = event.data === undefined ? 'comment' : accountant.onEvent(event.type, event.data);
    if (kind === 'content' && !this.sawFirstToken) {
      this.sawFirstToken = true;
      this.options.onFirstToken();
    }
    return kind;
  }

  /**
   * Decides whether an event goes to the client (into `out`), holding it if
   * not yet committed. False when it is dropped or still held.
   */
  private keep(raw: Buffer, kind: EventKind | 'comment', out: Buffer[]): boolean {
    if (kind === 'usage_only' && this.options.dropUsageOnly) return false;
    if (this.committed) {
      out.push(raw);
      return true;
    }
    if (this.lost) return false;
    if (kind === 'error') {
      this.failedBeforeCommit = true;
      return false;
    }
    if (kind === 'comment') return false; // keep-alive comment: no client yet
    this.held.push(raw);
    this.heldBytes += raw.length;
    if (
      kind === 'content' ||
      kind === 'done' ||
      kind === 'usage_only' ||
      this.heldBytes > this.options.maxEventBytes
    ) {
      // The held events leave with the rest of this read, in one write.
      this.commitNow(out);
      return this.committed;
    }
    return false;
  }

  /** Claims the client; the held events go into `out` when given, else are written now. */
  private commitNow(out?: Buffer[]): void {
    if (this.lost) return;
    if (!this.options.commit()) {
      this.lost = true;
      this.held = [];
      return;
    }
    this.committed = true;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    if (held.length === 0) return;
    if (out) out.push(...held);
    else this.drained = this.send(held.length === 1 ? held[0]! : Buffer.concat(held));
  }
}
