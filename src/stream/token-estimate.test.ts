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

  it('keeps deferred bytes as a view only when they are large and most of their read', async () => {
    const seen: string[] = [];
    const extract = (raw: Buffer): string => {
      seen.push(raw.toString('latin1'));
      return raw.toString('latin1');
    };
    // A short stream's whole read: kept as it is.
    const whole = Buffer.from(new ArrayBuffer(2048));
    whole.fill(0x2e).write('hello world!', 'latin1');
    // Eight bytes of a 64 KiB read: copied, so the read can be freed (and changing it later changes nothing).
    const big = Buffer.alloc(64 * 1024, 0x78);
    const part = big.subarray(0, 8);
    const tally = new TextTally();
    tally.deferRaw(whole, extract);
    tally.deferRaw(part, extract);
    big.fill(0x79);
    whole.write('HELLO', 'latin1');
    // A small read: copied too (a view would keep an ArrayBuffer per read).
    const small = Buffer.from(new ArrayBuffer(4));
    small.write('abcd', 'latin1');
    tally.deferRaw(small, extract);
    small.write('ABCD', 'latin1');
    await tally.tokens();
    expect(seen).toEqual([`HELLO world!${'.'.repeat(2036)}`, 'xxxxxxxx', 'abcd']);
  });

  it('keeps only the whole events that fit its budget from a large read, and scales from them', async () => {
    const event = (i: number): string => `data: {"choices":[{"delta":{"content":" word${i % 10}"}}]}\n\n`;
    const all = Array.from({ length: 1_500 }, (_, i) => event(i)).join('');
    const read = Buffer.from(all);
    expect(read.length).toBeGreaterThan(64 * 1024);
    const given: Buffer[] = [];
    const extract = (raw: Buffer): string => {
      given.push(raw);
      return [...raw.toString().matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
    };
    const tally = new TextTally();
    tally.deferRaw(read, extract);
    const exact = new TextTally();
    for (let i = 0; i < 1_500; i++) exact.add(` word${i % 10}`);
    const estimated = await tally.tokens();
    expect(given).toHaveLength(1);
    expect(given[0]!.length).toBeLessThanOrEqual(16 * 1024);
    expect(given[0]!.length).toBeGreaterThan(16 * 1024 - 100);
    expect(given[0]!.toString().endsWith('\n\n')).toBe(true);
    expect(Math.abs(estimated - (await exact.tokens()))).toBeLessThanOrEqual(0.02 * (await exact.tokens()));
  });
});
