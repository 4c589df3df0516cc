// Estimating tokens with a real tokenizer (gpt-tokenizer, o200k_base) for the
// rare request whose usage never arrived (a cut or aborted stream, a provider
// that sends none). The tokenizer costs ~70 MB and 250 ms to load, so it is
// loaded on first need, never on the hot path, and streamed text is kept only
// up to a fixed sample so a stream's memory does not grow with its length.

import type { Endpoint, Usage } from '../events/types.js';
import { lastEventEndAtOrBefore } from './sse-framer.js';

type CountTokens = (text: string) => number;
let tokenizer: Promise<CountTokens> | undefined;

function loadTokenizer(): Promise<CountTokens> {
  tokenizer ??= import('gpt-tokenizer').then((m) => m.countTokens as CountTokens);
  return tokenizer;
}

/** Text seen in a stream: a bounded sample plus the total length. */
export class TextTally {
  static readonly SAMPLE_CHARS = 16 * 1024;
  /**
   * Recent parts are joined into one flat string every BATCH parts: kept one
   * by one, a stream's thousands of one-token strings cost ~30 bytes each
   * (21 KB for a 600-chunk stream, 4.5 KB joined; see docs/benchmarks.md).
   */
  private static readonly BATCH = 64;
  /** Raw event bytes kept (up to DEFERRED_BYTES) to read text from only if an estimate is needed. */
  private static readonly DEFERRED_BYTES = 16 * 1024;
  /** Smaller deferred bytes are copied rather than kept as a view (see deferRaw). */
  private static readonly VIEW_MIN_BYTES = 1024;
  private joined = '';
  private readonly parts: string[] = [];
  private sampleChars = 0;
  totalChars = 0;
  private readonly deferred: Buffer[] = [];
  private deferredBytes = 0;
  private deferredTotal = 0;
  private extract: ((raw: Buffer) => string) | undefined;

  /** Nothing was generated (or deferred). */
  get isEmpty(): boolean {
    return this.totalChars === 0 && this.deferredTotal === 0;
  }

  /**
   * Keeps an event's bytes (or a run of whole events) instead of their text:
   * reading the text costs a parse per event and is only needed in the rare
   * case usage never arrives. Up to DEFERRED_BYTES are kept; beyond that only
   * their length is counted. How they are kept:
   * - a read larger than what is left of the budget: only the whole events
   *   that fit are copied (not the whole 64 KB read);
   * - 1 KB or more and most of their socket read (a short stream's one
   *   read): kept as a view, no copy;
   * - else copied (a view pins the whole read it came from; a small read, a
   *   slow stream's one event, would keep a whole ArrayBuffer and its
   *   bookkeeping for a copy into Node's pool that costs nothing measurable).
   */
  deferRaw(raw: Buffer, extract: (raw: Buffer) => string): void {
    this.deferredTotal += raw.length;
    const room = TextTally.DEFERRED_BYTES - this.deferredBytes;
    if (room <= 0) return;
    this.extract = extract;
    if (raw.length > room) {
      // (With CR-only line ends no boundary is found: a cut last event only reads as no text.)
      const kept = raw.subarray(0, lastEventEndAtOrBefore(raw, room) || room);
      this.deferred.push(Buffer.from(kept));
      this.deferredBytes += kept.length;
      return;
    }
    const asView = raw.length >= TextTally.VIEW_MIN_BYTES && raw.buffer.byteLength <= 2 * raw.length;
    this.deferred.push(asView ? raw : Buffer.from(raw));
    this.deferredBytes += raw.length;
  }

  add(text: string): void {
    if (text.length === 0) return;
    this.totalChars += text.length;
    if (this.sampleChars >= TextTally.SAMPLE_CHARS) return;
    const room = TextTally.SAMPLE_CHARS - this.sampleChars;
    const part = text.length <= room ? text : text.slice(0, room);
    this.parts.push(part);
    this.sampleChars += part.length;
    if (this.parts.length >= TextTally.BATCH) {
      this.joined += this.parts.join('');
      this.parts.length = 0;
    }
  }

  /** The text kept for estimation (at most SAMPLE_CHARS characters). */
  sample(): string {
    return this.joined + this.parts.join('');
  }

  /** Tokens in all text seen: exact while it fits the samples, scaled from them beyond. */
  async tokens(): Promise<number> {
    if (this.isEmpty) return 0;
    let text = this.sample();
    let sampledChars = this.sampleChars;
    let totalChars = this.totalChars;
    if (this.deferred.length > 0 && this.extract) {
      const fromDeferred = this.deferred.map(this.extract).join('');
      // Deferred events past the kept sample: their text is estimated at the sample's text/bytes ratio.
      totalChars += Math.round((this.deferredTotal * fromDeferred.length) / Math.max(1, this.deferredBytes));
      text += fromDeferred;
      sampledChars += fromDeferred.length;
    }
    if (totalChars === 0) return 0;
    const countTokens = await loadTokenizer();
    const sampled = countTokens(text);
    if (totalChars <= sampledChars) return sampled;
    return Math.round((sampled * totalChars) / Math.max(1, sampledChars));
  }
}

/** The text of a request's prompt, for estimating prompt tokens. */
function promptText(endpoint: Endpoint, body: Record<string, unknown>): string {
  const parts: string[] = [];
  const addContent = (content: unknown): void => {
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content))
      for (const item of content) {
        if (typeof item === 'string') parts.push(item);
        else if (item && typeof item === 'object' && typeof (item as { text?: unknown }).text === 'string')
          parts.push((item as { text: string }).text);
      }
  };
  if (endpoint === 'chat/completions' && Array.isArray(body.messages)) {
    for (const message of body.messages)
      if (message && typeof message === 'object') addContent(message.content);
  } else addContent(endpoint === 'completions' ? body.prompt : body.input);
  return parts.join('\n');
}

/** OpenAI's chat framing: about 3 tokens per message plus 3 to prime the reply. */
function framingTokens(endpoint: Endpoint, body: Record<string, unknown>): number {
  return endpoint === 'chat/completions' && Array.isArray(body.messages) ? 3 * body.messages.length + 3 : 0;
}

/** Estimated usage for a request whose upstream never reported it. */
export async function estimateUsage(
  endpoint: Endpoint,
  body: Record<string, unknown>,
  completion: TextTally,
): Promise<Usage> {
  const countTokens = await loadTokenizer();
  const promptTokens = countTokens(promptText(endpoint, body)) + framingTokens(endpoint, body);
  const completionTokens = await completion.tokens();
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedPromptTokens: 0,
    reasoningTokens: 0,
  };
}
