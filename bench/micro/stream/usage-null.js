// src/stream/usage-null.ts: removing the `"usage":null` OpenAI adds to every
// chunk once Sheepdog asked for usage the client did not ask for.

import { chatStreamEvents, dist } from '../fixtures.js';

const { withoutUsageNull } = await dist('stream/usage-null.js');

/** A 20-token stream as OpenAI sends it with include_usage: `"usage":null` closes every chunk but the last two. */
const events = chatStreamEvents(20).map((e) => e.replace(/\}\n\n$/, ',"usage":null}\n\n'));
const withNulls = Buffer.from(events.slice(0, -2).join(''));
const without = Buffer.from(chatStreamEvents(20).slice(0, -2).join(''));

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: '20-chunk read with "usage":null in each (5 KB)',
    fn: () => withoutUsageNull(withNulls),
    perOp: 22,
    unit: 'event',
  },
  { name: 'the same read without any (nothing to remove)', fn: () => withoutUsageNull(without) },
];
