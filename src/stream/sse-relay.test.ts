// What the client receives from a relayed stream, however the upstream's
// bytes were cut into reads: exactly the upstream's events, minus what
// Sheepdog itself caused (the usage-only chunk and every `"usage":null`).

import { describe, expect, it } from 'vitest';
import { ChunkAccountant } from './chunk-accountant.js';
import { SseRelay } from './sse-relay.js';

const HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":';
const chunk = (delta: string, finish: string, usage = ',"usage":null'): string =>
  `data: ${HEAD}[{"index":0,"delta":${delta},"finish_reason":${finish}}]${usage}}\n\n`;
const WORDS = ['Sheep', ' dog', ' 🐑', ' ünï', ' "usage":null', ' flock', ' at', ' dusk'];
const USAGE = `data: ${HEAD}[],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17}}\n\n`;

/** The stream an upstream sends once Sheepdog asked for usage, and what a client that did not ask gets. */
function streams(): { upstream: string; expected: string } {
  const events = [chunk('{"role":"assistant","content":""}', 'null')];
  for (const word of WORDS) events.push(chunk(`{"content":${JSON.stringify(word)}}`, 'null'));
  events.push(chunk('{}', '"stop"'));
  const body = events.join('');
  return {
    upstream: `${body}${USAGE}data: [DONE]\n\n`,
    expected: `${body.replaceAll(',"usage":null', '')}data: [DONE]\n\n`,
  };
}

/** Relays `reads` and returns what the client got, and the usage counted. */
function relay(reads: Buffer[], dropUsageOnly: boolean) {
  const sent: Buffer[] = [];
  const accountant = new ChunkAccountant('chat/completions');
  const r = new SseRelay({
    accountant,
    maxEventBytes: 1024 * 1024,
    dropUsageOnly,
    commit: () => true,
    write: (bytes) => sent.push(Buffer.from(bytes)) > 0,
    writeMany: (pieces) => sent.push(...pieces.map((p) => Buffer.from(p))) > 0,
    onFirstToken: () => {},
  });
  for (const read of reads) r.push(read);
  const end = r.end();
  return { text: Buffer.concat(sent).toString('utf8'), end, usage: accountant.usage };
}

/** `bytes` cut at the given offsets, each read its own copy (as a socket's are: the relay may rewrite them). */
const cut = (bytes: Buffer, at: number[]): Buffer[] =>
  [0, ...at, bytes.length]
    .slice(1)
    .map((end, i, ends) => Buffer.from(bytes.subarray(i === 0 ? 0 : ends[i - 1], end)));

describe('SseRelay', () => {
  const { upstream, expected } = streams();
  const bytes = Buffer.from(upstream);

  it('gives a client that did not ask for usage the stream without it, for every two-read cut', () => {
    for (let at = 1; at < bytes.length; at++) {
      const got = relay(cut(bytes, [at]), true);
      expect(got.text, `cut at ${at}`).toBe(expected);
      expect(got.end).toBe('done');
      expect(got.usage?.completionTokens).toBe(8);
    }
  });

  it('does the same for three-read cuts, one of them inside a usage:null field', () => {
    const field = upstream.indexOf(',"usage":null', upstream.indexOf('flock'));
    for (let at = 1; at < bytes.length; at += 7) {
      const inside = Buffer.byteLength(upstream.slice(0, field + 5));
      const cuts = [...new Set([at, inside])].sort((a, b) => a - b);
      expect(relay(cut(bytes, cuts), true).text, `cuts at ${cuts}`).toBe(expected);
    }
  });

  it('passes every byte through when the client asked for usage itself', () => {
    for (let at = 1; at < bytes.length; at += 5) {
      const got = relay(cut(bytes, [at]), false);
      expect(got.text).toBe(upstream);
      expect(got.usage?.totalTokens).toBe(17);
    }
  });

  it('relays a whole stream in one read unchanged when there is nothing to remove', () => {
    const clean = Buffer.from(expected);
    expect(relay([clean], true).text).toBe(expected);
  });
});
