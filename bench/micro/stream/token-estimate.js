// src/stream/token-estimate.ts: keeping a stream's text for estimation (TextTally.add per token).

import { dist } from '../fixtures.js';

const { TextTally } = await dist('stream/token-estimate.js');
const WORDS = [' the', ' flock', ' moves', ' across', ' green', ' hills', ' while', ' a', ' dog', ' watches'];

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: '1,000 tokens into a fresh tally',
    fn: () => {
      const tally = new TextTally();
      for (let i = 0; i < 1000; i++) tally.add(/** @type {string} */ (WORDS[i % WORDS.length]));
      return tally;
    },
    perOp: 1000,
    unit: 'token',
  },
];
