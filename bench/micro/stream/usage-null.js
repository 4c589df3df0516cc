// src/stream/usage-null.ts: removing the `"usage":null` OpenAI adds to every
// chunk once Sheepdog asked for usage the client did not ask for. The removal
// rewrites the read in place, so each operation first copies the fixture into
// a scratch buffer, as a fresh socket read would be (the copy alone is the
// last case, to subtract).

import { chatStreamEvents, dist } from '../fixtures.js';

const { withoutUsageNull } = await dist('stream/usage-null.js');

/** A 20-token stream as OpenAI sends it with include_usage: `"usage":null` closes every chunk but the last two. */
const withNulls = Buffer.from(chatStreamEvents(20).slice(0, -2).join(''));
const without = Buffer.from(withNulls.toString().replaceAll(',"usage":null', ''));
const scratch = Buffer.allocUnsafeSlow(withNulls.length);

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: `20-chunk read with "usage":null in each (${(withNulls.length / 1024).toFixed(1)} KB)`,
    fn: () => withoutUsageNull(scratch.subarray(0, withNulls.copy(scratch))),
    perOp: 21,
    unit: 'event',
  },
  {
    name: 'the same read without any (nothing to remove)',
    fn: () => withoutUsageNull(scratch.subarray(0, without.copy(scratch))),
  },
  { name: 'copying the read alone (part of both cases above)', fn: () => withNulls.copy(scratch) },
];
