import { describe, expect, it } from 'vitest';
import { ChunkAccountant } from './chunk-accountant.js';
import { plainChunkContent } from './plain-chunk.js';

const HEAD =
  '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","system_fingerprint":"fp","choices":';
const chunk = (choices: string, tail = '') => `${HEAD}${choices}${tail}}`;
const choice = (delta: string, finish = 'null', extra = '') =>
  `{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}${extra}}`;

/** Every shape the fast path must either read exactly as the full parse does, or leave to it. */
const CASES: Record<string, string> = {
  content: chunk(`[${choice('{"content":" flock"}')}]`),
  'content, usage null': chunk(`[${choice('{"content":"hi"}')}]`, ',"usage":null'),
  'role chunk': chunk(`[${choice('{"role":"assistant","content":""}')}]`),
  'role chunk, refusal null': chunk(`[${choice('{"role":"assistant","content":"","refusal":null}')}]`),
  'content null': chunk(`[${choice('{"content":null}')}]`),
  'empty delta': chunk(`[${choice('{}')}]`),
  escapes: chunk(`[${choice('{"content":"a \\"quoted\\" line\\nand \\u00e9 \\\\ done"}')}]`),
  unicode: chunk(`[${choice('{"content":"Tôi muốn mua laptop 🐑"}')}]`),
  'text that looks like keys': chunk(
    `[${choice('{"content":"\\"finish_reason\\":\\"stop\\", \\"usage\\":{\\"prompt_tokens\\":9}"}')}]`,
  ),
  finish: chunk(`[${choice('{}', '"stop"')}]`),
  'finish with content': chunk(`[${choice('{"content":"end"}', '"length"')}]`),
  usage: chunk('[]', ',"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}'),
  'usage on a content chunk': chunk(`[${choice('{"content":"x"}')}]`, ',"usage":{"prompt_tokens":3}'),
  'tool call': chunk(`[${choice('{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]}')}]`),
  reasoning: chunk(`[${choice('{"reasoning_content":"think"}')}]`),
  'content and reasoning': chunk(`[${choice('{"content":"a","reasoning":"b"}')}]`),
  refusal: chunk(`[${choice('{"refusal":"no"}')}]`),
  'two choices': chunk(
    `[${choice('{"content":"a"}')},${choice('{"content":"b"}').replace('"index":0', '"index":1')}]`,
  ),
  logprobs: chunk(
    `[${choice('{"content":"hi"}').replace('"logprobs":null', '"logprobs":{"content":[{"token":"hi","logprob":-0.1}]}')}]`,
  ),
  'logprobs before delta': chunk(
    '[{"index":0,"logprobs":{"content":[{"token":"x","logprob":0}]},"delta":{"content":"x"},"finish_reason":null}]',
  ),
  error: '{"error":{"message":"overloaded","code":"server_error"}}',
  'error word as content': chunk(`[${choice('{"content":"error"}')}]`),
  'nested delta value': chunk(`[${choice('{"content":"a","audio":{"id":"x"}}')}]`),
  'number in delta': chunk(`[${choice('{"content":"a","n":1}')}]`),
  'no finish_reason key': `${HEAD}[{"index":0,"delta":{"content":"a"}}]}`,
  'obfuscation padding': chunk(`[${choice('{"content":"hi"}')}]`, ',"usage":null,"obfuscation":"x1Yz"'),
  'brace in id': chunk(`[${choice('{"content":"hi"}')}]`).replace('chatcmpl-1', 'chatcmpl-{1}'),
  'not JSON': '{"choices":[{"delta":{"content":"a"',
  'bad escape': chunk(`[${choice('{"content":"bad \\x escape"}')}]`),
};

/**
 * What the accountant makes of one event: kind, text tally, finish, usage, error.
 * An explicit `message` type (the SSE default) skips the fast path, so it is the full parse.
 */
function viaAccountant(data: string, fast: boolean) {
  const a = new ChunkAccountant('chat/completions');
  const kind = a.onEvent(fast ? undefined : 'message', data);
  return { kind, chars: a.text.totalChars, finish: a.sawFinish, usage: a.usage, error: a.streamError };
}

describe('plainChunkContent', () => {
  it('reads the content of plain chunks, escapes and all', () => {
    expect(plainChunkContent(CASES.content!)).toBe(' flock');
    expect(plainChunkContent(CASES['role chunk']!)).toBe('');
    expect(plainChunkContent(CASES['content, usage null']!)).toBe('hi');
    expect(plainChunkContent(CASES.escapes!)).toBe('a "quoted" line\nand é \\ done');
    expect(plainChunkContent(CASES.unicode!)).toBe('Tôi muốn mua laptop 🐑');
    expect(plainChunkContent(CASES['text that looks like keys']!)).toBe(
      '"finish_reason":"stop", "usage":{"prompt_tokens":9}',
    );
  });

  it('leaves every chunk that carries more than content to the full parse', () => {
    for (const name of [
      'finish',
      'finish with content',
      'usage',
      'usage on a content chunk',
      'tool call',
      'reasoning',
      'content and reasoning',
      'refusal',
      'two choices',
      'error',
      'nested delta value',
      'not JSON',
      'bad escape',
    ])
      expect(plainChunkContent(CASES[name]!), name).toBeUndefined();
  });

  it.each(Object.entries(CASES))('accounts "%s" exactly as the full parse does', (_name, data) => {
    expect(viaAccountant(data, true)).toEqual(viaAccountant(data, false));
  });
});
