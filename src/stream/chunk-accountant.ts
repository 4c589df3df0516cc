// Reads each SSE event's data only as far as accounting needs: whether it
// carries the first token, the usage, the finish, or an error.

import type { Endpoint, Usage } from '../events/types.js';
import { plainChunkContent } from './plain-chunk.js';
import { findEventEnd, lastEventEndAtOrBefore, parseEvent } from './sse-framer.js';
import { TextTally } from './token-estimate.js';
import { normalizeUsage } from './usage.js';
import type { ReadText } from './usage-null.js';

/** What one event meant. `usage_only` is the `choices: []` chunk include_usage adds. */
export type EventKind = 'content' | 'meta' | 'usage_only' | 'done' | 'error' | 'other';

interface ChunkChoice {
  delta?: {
    content?: unknown;
    reasoning_content?: unknown;
    reasoning?: unknown;
    refusal?: unknown;
    tool_calls?: Array<{ function?: { name?: unknown; arguments?: unknown } }>;
  };
  text?: unknown;
  finish_reason?: unknown;
}

interface Chunk {
  choices?: ChunkChoice[];
  usage?: unknown;
  error?: { message?: unknown; code?: unknown; type?: unknown };
}

export class ChunkAccountant {
  readonly endpoint: Endpoint;
  usage: Usage | undefined;
  sawDone = false;
  sawFinish = false;
  /** The error an upstream sent inside the stream, if any. */
  streamError: { message: string; code: string } | undefined;
  /** Completion text seen, kept for estimation should usage never arrive. */
  readonly text = new TextTally();

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
  }

  /** A content event was seen: the first token is known, later events need less reading. */
  private contentSeen = false;

  /**
   * The fast path once the first token is known: an event whose bytes are a
   * plain `data:` line carrying no usage object, no error and no `[DONE]`
   * matters only for estimation, so its bytes are kept aside (read only if
   * usage never comes) and it is not parsed at all. Undefined: read it fully.
   */
  onRawEvent(raw: Buffer): EventKind | undefined {
    if (!this.contentSeen || raw.length < 8) return undefined;
    if (raw[0] !== 0x64 || raw[1] !== 0x61 || raw[2] !== 0x74 || raw[3] !== 0x61 || raw[4] !== 0x3a)
      return undefined;
    // `data: [DONE]` (or anything that is not a JSON object) takes the full read.
    if (raw[raw[5] === 0x20 ? 6 : 5] !== 0x7b /* { */ || needsFullRead(raw)) return undefined;
    this.text.deferRaw(raw, this.extractText);
    return 'content';
  }

  /**
   * The same for a run of complete events: returns how many leading bytes of
   * `buf` hold only plain content events (no usage object, error, typed event
   * or `[DONE]`), ending on an event boundary, and keeps those bytes aside for
   * estimation. A handful of native searches per read instead of work per
   * event. 0: nothing could be skimmed. `read`: the text of the read whose
   * tail `buf` is, from position `at` of its (compacted) bytes, when the
   * caller has it already.
   */
  skimPrefix(buf: Buffer, read?: ReadText, at = 0): number {
    if (!this.contentSeen || buf[0] !== 0x64 /* d */) return 0;
    // The first position that must be read event by event: one regular
    // expression pass over the bytes (as latin1, one byte per character).
    let stop: RegExpExecArray | null;
    let stopAt: number;
    if (read) {
      STOP.lastIndex = read.textIndex(at);
      stop = STOP.exec(read.text);
      stopAt = stop === null ? 0 : read.bytesIndex(stop.index) - at;
    } else {
      STOP.lastIndex = 0;
      stop = STOP.exec(buf.toString('latin1'));
      stopAt = stop === null ? 0 : stop.index;
    }
    // (A typed event's match starts on the line break before it: the event itself starts after.)
    const limit = stop === null ? buf.length : stopAt + (stop[0].startsWith('event:', 1) ? 1 : 0);
    const end = lastEventEndAtOrBefore(buf, limit);
    if (end <= 0) return 0;
    this.text.deferRaw(end === buf.length ? buf : buf.subarray(0, end), this.extractText);
    return end;
  }

  /** The generated text in kept bytes (one event or several). */
  private readonly extractText = (raw: Buffer): string => {
    const parts: string[] = [];
    for (let start = 0; start < raw.length; ) {
      let end = findEventEnd(raw, start);
      if (end < 0) end = raw.length;
      const data = parseEvent(raw.subarray(start, end)).data;
      if (data !== undefined) parts.push(generatedTextOf(this.endpoint, data));
      start = end;
    }
    return parts.join('');
  };

  /** Accounts one event's `data` (and `event:` type) and says what it was. */
  onEvent(type: string | undefined, data: string | undefined): EventKind {
    if (data === undefined) return 'other';
    if (data === '[DONE]') {
      this.sawDone = true;
      return 'done';
    }
    const kind = this.read(type, data);
    if (kind === 'content') this.contentSeen = true;
    return kind;
  }

  private read(type: string | undefined, data: string): EventKind {
    // Most events are plain content chunks: read those without parsing the whole chunk.
    if (type === undefined && this.endpoint === 'chat/completions') {
      const content = plainChunkContent(data);
      if (content !== undefined) {
        if (content.length > 0) this.text.add(content);
        return content.length > 0 ? 'content' : 'meta';
      }
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return 'other';
    }
    if (chunk === null || typeof chunk !== 'object') return 'other';
    if (type === 'error' || (chunk.error && typeof chunk.error === 'object')) {
      const e = chunk.error ?? {};
      this.streamError = {
        message: typeof e.message === 'string' ? e.message : 'error event from the upstream',
        code:
          typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : 'upstream_stream_error',
      };
      return 'error';
    }
    const usage = chunk.usage ? normalizeUsage(chunk.usage) : undefined;
    if (usage) this.usage = usage;
    const choices = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0) return usage ? 'usage_only' : 'meta';
    let content = false;
    for (const choice of choices) {
      if (choice.finish_reason) this.sawFinish = true;
      if (this.collect(choice)) content = true;
    }
    return content ? 'content' : 'meta';
  }

  /** Adds a choice's generated text to the tally; true when it held any. */
  private collect(choice: ChunkChoice): boolean {
    const parts: string[] = [];
    const toolCall = appendGenerated(this.endpoint, choice, parts);
    for (const part of parts) this.text.add(part);
    return parts.length > 0 || toolCall;
  }
}

/** Appends a choice's generated text to `out`; true when it carried a tool call. */
function appendGenerated(endpoint: Endpoint, choice: ChunkChoice, out: string[]): boolean {
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.length > 0) out.push(value);
  };
  if (endpoint === 'completions') {
    add(choice.text);
    return false;
  }
  const delta = choice.delta;
  if (!delta) return false;
  add(delta.content);
  add(delta.reasoning_content);
  add(delta.reasoning);
  add(delta.refusal);
  let toolCall = false;
  if (Array.isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls) {
      add(call.function?.name);
      add(call.function?.arguments);
      if (call.function) toolCall = true;
    }
  }
  return toolCall;
}

/** The generated text in one event's data (for deferred estimation). */
function generatedTextOf(endpoint: Endpoint, data: string): string {
  try {
    const chunk = JSON.parse(data) as Chunk;
    const out: string[] = [];
    if (chunk && Array.isArray(chunk.choices))
      for (const choice of chunk.choices) appendGenerated(endpoint, choice, out);
    return out.join('');
  } catch {
    return '';
  }
}

/**
 * Whether the bytes hold an `"error"` key or a `"usage"` key whose value is an
 * object (OpenAI sends `"usage":null` in every chunk). One pass over the bytes:
 * cheaper here than native searches, whose per-call cost dominates on ~200
 * bytes. A quote inside a JSON string is escaped, so `"usage"` can only be a
 * key (or a string value, a harmless false positive that costs a full read).
 */
function needsFullRead(raw: Buffer): boolean {
  const n = raw.length - 7;
  for (let i = 6; i < n; i++) {
    if (raw[i] !== 0x22) continue;
    const c = raw[i + 1];
    if (c === 0x75 /* u */) {
      if (
        raw[i + 2] === 0x73 &&
        raw[i + 3] === 0x61 &&
        raw[i + 4] === 0x67 &&
        raw[i + 5] === 0x65 &&
        raw[i + 6] === 0x22 &&
        objectFollows(raw, i + 7)
      )
        return true;
    } else if (c === 0x65 /* e */) {
      if (
        raw[i + 2] === 0x72 &&
        raw[i + 3] === 0x72 &&
        raw[i + 4] === 0x6f &&
        raw[i + 5] === 0x72 &&
        raw[i + 6] === 0x22
      )
        return true;
    }
  }
  return false;
}

/**
 * What must be read event by event: a usage object (OpenAI sends
 * `"usage":null` in every chunk, which is fine), an error, a typed event, the
 * end. Inside JSON strings quotes are escaped, so these only match real keys
 * (or a harmless false positive that costs a per-event read). The patterns
 * leave out their opening `"` or `[`: starting on rarer characters than the
 * quote that opens every JSON key makes the scan ~40% faster, and a match a
 * character late finds the same event boundary before it.
 */
const STOP = /usage"\s*:\s*\{|error"|[\r\n]event:|DONE\]/g;
/** After `"usage"`, is the value an object (OpenAI sends `"usage":null` in every chunk)? */
function objectFollows(raw: Buffer, at: number): boolean {
  let i = at;
  while (raw[i] === 0x20) i++;
  if (raw[i] !== 0x3a /* : */) return false;
  i++;
  while (raw[i] === 0x20) i++;
  return raw[i] === 0x7b; /* { */
}
