import { describe, expect, it } from 'vitest';
import { TextTally } from './token-estimate.js';

describe('TextTally', () => {
  it('keeps the text in order across batches, up to the sample size', () => {
    const tally = new TextTally();
    const words = Array.from({ length: 1000 }, (_, i) => ` w${i}`);
    for (const w of words) tally.add(w);
    expect(tally.sample()).toBe(words.join(''));
    expect(tally.totalChars).toBe(words.join('').length);
  });

  it('stops sampling at SAMPLE_CHARS but keeps counting', () => {
    const tally = new TextTally();
    const chunk = 'x'.repeat(1000);
    for (let i = 0; i < 40; i++) tally.add(chunk);
    expect(tally.sample().length).toBe(TextTally.SAMPLE_CHARS);
    expect(tally.totalChars).toBe(40_000);
  });
});
