import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { ChunkAccountant } from './chunk-accountant.js';
import { TextTally } from './token-estimate.js';
import { stripUsageNull } from './usage-null.js';

const chunk = (content: string, extra = ''): string =>
  `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}]${extra}}`;

describe('ChunkAccountant', () => {
  it.each([
    [80, 0],
    [2_000, 0.02],
  ])(
    'keeps %i events aside after the first token and estimates their text (tolerance %d)',
    async (n, tolerance) => {
      const words = Array.from({ length: n }, (_, i) => `${i === 0 ? '' : ' '}word${i % 17}`);
      const accountant = new ChunkAccountant('chat/completions');
      expect(accountant.onEvent(undefined, chunk(''))).toBe('meta'); // the role chunk
      for (const w of words) {
        const raw = Buffer.from(`data: ${chunk(w)}\n\n`);
        expect(accountant.onRawEvent(raw) ?? accountant.onEvent(undefined, chunk(w))).toBe('content');
      }
      const direct = new TextTally();
      direct.add(words.join(''));
      const exact = await direct.tokens();
      // Exact while the kept data fits its budget; scaled from the kept sample beyond it.
      expect(Math.abs((await accountant.text.tokens()) - exact)).toBeLessThanOrEqual(exact * tolerance);
    },
  );

  it('still finds usage, errors and the end after the first token', () => {
    const accountant = new ChunkAccountant('chat/completions');
    accountant.onEvent(undefined, chunk('hi'));
    const raw = (data: string): Buffer => Buffer.from(`data: ${data}\n\n`);
    expect(accountant.onRawEvent(raw(chunk(' there', ',"usage":null')))).toBe('content');
    // Usage objects, errors and the end are never taken by the fast path.
    const usage = '{"choices":[],"usage": {"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}';
    expect(accountant.onRawEvent(raw(usage))).toBeUndefined();
    expect(accountant.onRawEvent(raw('{"error":{"message":"x"}}'))).toBeUndefined();
    expect(accountant.onRawEvent(raw('[DONE]'))).toBeUndefined();
    expect(accountant.onRawEvent(Buffer.from(`event: error\ndata: {}\n\n`))).toBeUndefined();
    // Content that merely mentions them (escaped inside a string) still goes fast.
    expect(accountant.onRawEvent(raw(chunk('the \\"usage\\": {x} and [ DONE ]')))).toBe('content');
    expect(
      accountant.onEvent(
        undefined,
        '{"choices":[],"usage": {"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}',
      ),
    ).toBe('usage_only');
    expect(accountant.usage?.totalTokens).toBe(5);
    expect(accountant.onEvent(undefined, '{"error":{"message":"overloaded","code":"server_busy"}}')).toBe(
      'error',
    );
    expect(accountant.streamError).toEqual({ message: 'overloaded', code: 'server_busy' });
    expect(accountant.onEvent(undefined, '[DONE]')).toBe('done');
  });

  it('reads usage in a final chunk that also carries choices', () => {
    const accountant = new ChunkAccountant('chat/completions');
    accountant.onEvent(undefined, chunk('a'));
    accountant.onEvent(
      undefined,
      chunk('b', ',"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}'),
    );
    expect(accountant.usage?.completionTokens).toBe(2);
  });
});

describe('ChunkAccountant.skimPrefix', () => {
  const events = (...datas: string[]): Buffer => Buffer.from(datas.map((d) => `data: ${d}\n\n`).join(''));

  it('takes a chunk of whole plain content events once the first token is known, and estimates it', async () => {
    const accountant = new ChunkAccountant('chat/completions');
    expect(accountant.skimPrefix(events(chunk('too early')))).toBe(0);
    accountant.onEvent(undefined, chunk('Hello'));
    const run = events(chunk(' big'), chunk(' world', ',"usage":null'));
    expect(accountant.skimPrefix(run)).toBe(run.length);
    const direct = new TextTally();
    direct.add('Hello big world');
    expect(await accountant.text.tokens()).toBe(await direct.tokens());
  });

  it('stops before anything that may matter, on an event boundary', () => {
    const accountant = new ChunkAccountant('chat/completions');
    accountant.onEvent(undefined, chunk('Hello'));
    const first = events(chunk('a'), chunk('b')).length;
    const upTo = (...tail: string[]): number =>
      accountant.skimPrefix(events(chunk('a'), chunk('b'), ...tail));
    expect(upTo('[DONE]')).toBe(first);
    expect(upTo('{"choices":[],"usage": {"total_tokens":3}}', '[DONE]')).toBe(first);
    expect(upTo('{"error":{"message":"x"}}')).toBe(first);
    const one = `data: ${chunk('a')}\n\n`;
    expect(accountant.skimPrefix(Buffer.from(`${one}event: error\ndata: {}\n\n`))).toBe(one.length);
    // An unfinished event stays for the framer.
    expect(accountant.skimPrefix(Buffer.from(`${one}data: ${chunk('b')}`))).toBe(one.length);
    expect(accountant.skimPrefix(events('[DONE]'))).toBe(0);
    expect(accountant.skimPrefix(Buffer.from(`: keep-alive\n\n${one}`))).toBe(0);
    const crlf = Buffer.from(`data: ${chunk('a')}\r\n\r\n`);
    expect(accountant.skimPrefix(crlf)).toBe(crlf.length);
  });
});

describe('ChunkAccountant.skimPrefix with the text its read was decoded to', () => {
  it('stops where decoding the compacted bytes itself stops, from every event boundary', () => {
    const kinds = [
      (i: number) => chunk(`w${i} "usage" error`, ',"usage":null'),
      (i: number) => chunk(`ünï ${i}`, ',"usage":null'),
      (i: number) => chunk(`${i}`),
      () => '{"choices":[],"usage":{"total_tokens":3}}',
      () => '{"error":{"message":"x"}}',
      () => '[DONE]',
      // Marks spelled loosely, next to a removed field, or inside text.
      () => '{"choices":[], "usage" :\t{"total_tokens":3}}',
      (i: number) => chunk(`${i} DONE] event: usage":{`, ',"usage":null'),
      () => '{"choices":[{"delta":{},"finish_reason":"error"}],"usage":null}',
    ];
    for (let seed = 1; seed <= 200; seed++) {
      const random = mulberry32(seed);
      const next = (n: number): number => Math.floor(random() * n);
      let stream = '';
      for (let i = 0; i < 3 + next(10); i++) {
        const data = kinds[next(6) < 4 ? next(3) : next(kinds.length)]!(i);
        stream += next(8) === 0 ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`;
      }
      const { bytes, text } = stripUsageNull(Buffer.from(stream));
      const shared = new ChunkAccountant('chat/completions');
      const own = new ChunkAccountant('chat/completions');
      shared.onEvent(undefined, chunk('first'));
      own.onEvent(undefined, chunk('first'));
      for (let at = 0; at < bytes.length; at = bytes.indexOf('\n\n', at) + 2) {
        const tail = bytes.subarray(at);
        expect(shared.skimPrefix(tail, text, at)).toBe(own.skimPrefix(tail));
        if (bytes.indexOf('\n\n', at) < 0) break;
      }
    }
  });
});
