// src/stream/chunk-accountant.ts: what each event means for accounting.

import { CONTENT_DATA, chatStreamEvents, dist } from '../fixtures.js';

const { ChunkAccountant } = await dist('stream/chunk-accountant.js');
const usageData = (chatStreamEvents(1).at(-2) ?? '').slice(6, -2);

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: 'content event (JSON.parse + tally)',
    fn: () => new ChunkAccountant('chat/completions').onEvent(undefined, CONTENT_DATA),
    perOp: 1,
    unit: 'event',
  },
  {
    name: 'usage-only event',
    fn: () => new ChunkAccountant('chat/completions').onEvent(undefined, usageData),
  },
  { name: 'JSON.parse of the same event alone (floor)', fn: () => JSON.parse(CONTENT_DATA) },
];
