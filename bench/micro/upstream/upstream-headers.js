// src/upstream/upstream-headers.ts: reading an upstream's response headers (the
// simulator's 13, as OpenAI sends them), decoding only those the relay reads.

import { dist } from '../fixtures.js';

const { readHeaders } = await dist('upstream/upstream-headers.js');

const raw = [
  ['x-request-id', 'req_sim2'],
  ['x-ratelimit-limit-requests', '10000'],
  ['x-ratelimit-limit-tokens', '2000000'],
  ['x-ratelimit-remaining-requests', '9998'],
  ['x-ratelimit-remaining-tokens', '1999942'],
  ['x-ratelimit-reset-requests', '59.945s'],
  ['x-ratelimit-reset-tokens', '59.945s'],
  ['content-type', 'text/event-stream'],
  ['cache-control', 'no-cache'],
  ['Date', 'Sat, 28 Nov 2026 23:55:58 GMT'],
  ['Connection', 'keep-alive'],
  ['Keep-Alive', 'timeout=65'],
  ['Transfer-Encoding', 'chunked'],
]
  .flat()
  .map((s) => Buffer.from(s, 'latin1'));

/** @type {import('../harness.js').Case[]} */
export const cases = [{ name: 'response headers (13, 7 of them read)', fn: () => readHeaders(raw) }];
