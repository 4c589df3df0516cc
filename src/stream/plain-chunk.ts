// A fast path for the most common SSE event: a chat chunk in OpenAI's own
// layout whose only news is one choice's `delta.content`. One anchored regular
// expression (native code, a single pass) checks the whole shape and captures
// the text, about five times cheaper than JSON.parse on the chunk; anything
// else (usage, a finish, an error, tool calls, reasoning, refusals, several
// choices, other key orders) does not match and gets the full parse.

// No braces before `choices` (so no nested object hides a usage or an error
// there); one choice; a delta of an optional role and a content string;
// nothing after the choices but a null usage and OpenAI's obfuscation padding.
const PLAIN_CONTENT_CHUNK =
  /^\{[^{}]*"choices":\[\{"index":0,"delta":\{(?:"role":"assistant",)?"content":"((?:[^"\\]|\\.)*)"\},"logprobs":null,"finish_reason":null\}\](?:,"usage":null)?(?:,"obfuscation":"[^"\\]*")?\}$/;

/**
 * The delta's text when `data` is a plain content chunk ('' for the role chunk
 * and other empty deltas), or undefined when the chunk needs the full parse.
 */
export function plainChunkContent(data: string): string | undefined {
  const match = PLAIN_CONTENT_CHUNK.exec(data);
  if (match === null) return undefined;
  const text = match[1] ?? '';
  if (!text.includes('\\')) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return undefined;
  }
}
