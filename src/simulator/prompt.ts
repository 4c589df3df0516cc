// Reads the prompt out of a request body: a token estimate and a hash that seeds the generated content.
// Both ignore everything but the prompt, so `stream: true` and `stream: false` bodies get the same answer.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units, continuing from `hash`. */
export function hashText(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Chat `content` is a string, null, or an array of parts of which only text parts carry characters. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

/** Inputs of /completions (`prompt`) and /embeddings (`input`): a string, strings, or token-id arrays. */
function rawInputs(value: unknown): unknown[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.length > 0 && value.every((v) => typeof v === 'number') ? [value] : value;
}

/** Each input as text: strings as they are, token-id arrays as their comma-joined ids. */
export function promptInputs(value: unknown): string[] {
  return rawInputs(value).map((v) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : ''));
}

/** A string counts ceil(chars/4), a token-id array its length; at least 1 either way. */
function inputTokens(input: unknown): number {
  if (typeof input === 'string') return Math.max(1, Math.ceil(input.length / 4));
  return Math.max(1, Array.isArray(input) ? input.length : 0);
}

/**
 * Deterministic prompt token count: chat = 3 + per message (3 + ceil(chars/4));
 * completions and embeddings = per input max(1, ceil(chars/4)) (token-id arrays: their length). Else 0.
 */
export function countPromptTokens(body: unknown): number {
  if (!isRecord(body)) return 0;
  if (Array.isArray(body.messages)) {
    let tokens = 3;
    for (const message of body.messages) {
      const text = isRecord(message) ? contentText(message.content) : '';
      tokens += 3 + Math.ceil(text.length / 4);
    }
    return tokens;
  }
  const inputs = rawInputs(body.prompt ?? body.input);
  let tokens = 0;
  for (const input of inputs) tokens += inputTokens(input);
  return tokens;
}

/** Hash of the prompt only (chat messages' roles and text, or the completion prompt). */
export function hashPrompt(body: unknown): number {
  let h = FNV_OFFSET;
  if (!isRecord(body)) return h;
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!isRecord(message)) continue;
      h = hashText(h, typeof message.role === 'string' ? message.role : '');
      h = hashText(h, '\u0000');
      h = hashText(h, contentText(message.content));
      h = hashText(h, '\u0001');
    }
    return h;
  }
  for (const input of promptInputs(body.prompt ?? body.input)) {
    h = hashText(h, input);
    h = hashText(h, '\u0000');
  }
  return h;
}
