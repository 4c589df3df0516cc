import { describe, expect, it } from 'vitest';
import { KNOWN_HEADER_NAMES, readHeaders, UpstreamHeaders } from './upstream-headers.js';

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
        ['content-type', 'second copy'],
      ]),
    );
    expect(headers.contentType).toBe('text/event-stream');
    // What the client gets too, in the order the upstream sent it, each name once.
    expect(headers.passThrough).toEqual([
      'x-ratelimit-remaining-requests',
      '9999',
      'retry-after',
      '3',
      'retry-after-ms',
      '2500',
      'openai-processing-ms',
      '12',
    ]);
    expect(headers.get('retry-after')).toBe('3');
    expect(headers.get('content-type')).toBe('text/event-stream');
    expect(headers.get('x-request-id')).toBeUndefined();
  });

  it('reads other rate-limit names by decoding them, never other openai-* names, and skips near misses', () => {
    const headers = readHeaders(
      raw([
        ['OpenAI-Organization', 'org-1'],
        ['x-ratelimit-limit-tokens-day', '5000'],
        ['X-RATELIMIT-RESET-TOKENS', '6m0s'],
        ['X-RateLimit-Limit-Tokens-Day', 'second copy'],
        ['x-ratelimit-', 'no name after the family'],
        ['Content-Typo', 'nope'],
        ['x-request-ie', 'nope'],
        ['retry-after-s', 'nope'],
      ]),
    );
    expect(headers.toObject()).toEqual({
      'x-ratelimit-limit-tokens-day': '5000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(headers.contentType).toBeUndefined();
  });

  it('reads names given as strings the same way', () => {
    expect(
      readHeaders(['Content-Type', 'text/plain', 'X-Other', 'x', 'OpenAI-Model', 'gpt-4.1']).toObject(),
    ).toEqual({ 'content-type': 'text/plain', 'openai-model': 'gpt-4.1' });
    expect(UpstreamHeaders.of({ 'Retry-After': '2', 'x-ratelimit-remaining': '4' }).passThrough).toEqual([
      'retry-after',
      '2',
      'x-ratelimit-remaining',
      '4',
    ]);
  });

  it('decodes a known name in any case, and never a name one byte away from it as that name', () => {
    const known = KNOWN_HEADER_NAMES;
    for (const name of known) {
      for (const spelling of [
        name,
        name.toUpperCase(),
        name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()),
      ])
        expect(readHeaders(raw([[spelling, 'v']])).toObject()).toEqual({ [name]: 'v' });
      // Every position, every other letter, digit or dash: a different name.
      for (let at = 0; at < name.length; at++) {
        for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-') {
          if (c === name[at]) continue;
          const near = name.slice(0, at) + c + name.slice(at + 1);
          const headers = readHeaders(raw([[near, 'v']])).toObject();
          // Read under its own name when it is another known one or a rate-limit name; else not at all.
          const expected =
            known.includes(near) || (near.startsWith('x-ratelimit-') && near.length > 12)
              ? { [near]: 'v' }
              : {};
          expect(headers, near).toEqual(expected);
        }
      }
    }
  });

  it('reads bytes beyond ASCII in names as no known name, and values byte for byte (latin1)', () => {
    const headers = readHeaders([
      Buffer.from([0xc3, 0xa9, 0x2d, 0x74, 0x79, 0x70, 0x65]),
      Buffer.from('x'),
      Buffer.from('openai-model'),
      Buffer.from([0x67, 0xe9]),
    ]);
    expect(headers.toObject()).toEqual({ 'openai-model': 'g\u00e9' });
  });
});
