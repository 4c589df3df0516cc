// Reads each SSE event's data only as far as accounting needs: whether it
// carries the first token, the usage, the finish, or an error.

import type { Endpoint, Usage } from '../events/types.js';
import { plainChunkContent } from './plain-chunk.js';
import { TextTally } from './token-estimate.js';
import { normalizeUsage } from './usage.js';

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

  /** Accounts one event's `data` (and `event:` type) and says what it was. */
  onEvent(type: string | undefined, data: string | undefined): EventKind {
    if (data === undefined) return 'other';
    if (data === '[DONE]') {
      this.sawDone = true;
      return 'done';
    }
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
    let found = false;
    const add = (value: unknown): void => {
      if (typeof value === 'string' && value.length > 0) {
        this.text.add(value);
        found = true;
      }
    };
    if (this.endpoint === 'completions') {
      add(choice.text);
      return found;
    }
    const delta = choice.delta;
    if (!delta) return false;
    add(delta.content);
    add(delta.reasoning_content);
    add(delta.reasoning);
    add(delta.refusal);
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) {
        add(call.function?.name);
        add(call.function?.arguments);
        if (call.function) found = true;
      }
    }
    return found;
  }
}
