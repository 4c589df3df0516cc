import { describe, expect, it } from 'vitest';
import { KNOWN_HEADER_NAMES, readHeaders } from './exchange.js';

const raw = (pairs: Array<[string, string]>): Buffer[] =>
  pairs.flatMap(([name, value]) => [Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1')]);

describe('readHeaders', () => {
  it('decodes the headers the relay reads, whatever their case, and only those', () => {
    const headers = readHeaders(
      raw([
        ['Date', 'Sat, 28 Nov 2026 19:50:37 GMT'],
        ['Content-Type', 'text/event-stream'],
        ['Cache-Control', 'no-cache'],
        ['Connection', 'keep-alive'],
        ['X-RateLimit-Remaining-Requests', '9999'],
        ['x-request-id', 'req_1'],
        ['Retry-After', '3'],
        ['retry-after-ms', '2500'],
        ['OpenAI-Processing-Ms', '12'],
        ['Set-Cookie', 'a=b'],
        ['Content-Length', '10'],
        ['Transfer-Encoding', 'chunked'],
        ['x-ratelimit-remaining-requests', 'second copy'],
      ]),
    );
    expect(headers).toEqual({
      'content-type': 'text/event-stream',
      'x-ratelimit-remaining-requests': '9999',
      'x-request-id': 'req_1',
      'retry-after': '3',
      'retry-after-ms': '2500',
      'openai-processing-ms': '12',
    });
  });

  it('reads names outside its list of common ones by decoding them, and skips near misses', () => {
    const headers = readHeaders(
      raw([
        ['OpenAI-Organization', 'org-1'],
        ['x-ratelimit-limit-tokens-day', '5000'],
        ['X-RATELIMIT-RESET-TOKENS', '6m0s'],
        ['Content-Typo', 'nope'],
        ['x-request-ie', 'nope'],
        ['retry-after-s', 'nope'],
      ]),
    );
    expect(headers).toEqual({
      'openai-organization': 'org-1',
      'x-ratelimit-limit-tokens-day': '5000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
  });

  it('reads names given as strings the same way', () => {
    expect(readHeaders(['Content-Type', 'text/plain', 'X-Other', 'x', 'OpenAI-Model', 'gpt-4.1'])).toEqual({
      'content-type': 'text/plain',
      'openai-model': 'gpt-4.1',
    });
  });

  it('decodes a known name in any case, and never a name one byte away from it as that name', () => {
    const known = KNOWN_HEADER_NAMES;
    const families = ['x-ratelimit-', 'openai-'];
    for (const name of known) {
      for (const spelling of [
        name,
        name.toUpperCase(),
        name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()),
      ])
        expect(readHeaders(raw([[spelling, 'v']]))).toEqual({ [name]: 'v' });
      // Every position, every other letter, digit or dash: a different name.
      for (let at = 0; at < name.length; at++) {
        for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-') {
          if (c === name[at]) continue;
          const near = name.slice(0, at) + c + name.slice(at + 1);
          const headers = readHeaders(raw([[near, 'v']]));
          // Read under its own name when it is another known one or of a family the relay reads; else not at all.
          const expected =
            known.includes(near) || families.some((f) => near.startsWith(f)) ? { [near]: 'v' } : {};
          expect(headers, near).toEqual(expected);
        }
      }
    }
  });
});
