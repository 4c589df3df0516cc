import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Usage } from '../events/types.js';
import { UsdChild } from '../metrics/instruments.js';
import { costPico, DEFAULT_PRICES, PriceTable, priceFrom } from './price-table.js';

const usage = (prompt: number, completion: number, cached = 0): Usage => ({
  promptTokens: prompt,
  completionTokens: completion,
  totalTokens: prompt + completion,
  cachedPromptTokens: cached,
  reasoningTokens: 0,
});

describe('price table', () => {
  it("defaults to the seed's four prices, one rate for input, output and cached input", () => {
    const table = new PriceTable(parseConfig({}, 't').pricing);
    expect(DEFAULT_PRICES).toEqual({
      'gpt-4.1': 8,
      'claude-sonnet-4.5': 15,
      'gemini-2.5-flash': 2.5,
      'deepseek-v3.2': 0.42,
    });
    expect(table.lookup(undefined, undefined, 'deepseek-v3.2')).toEqual({
      inputMicro: 420_000,
      outputMicro: 420_000,
      cachedInputMicro: 420_000,
    });
    // Case-insensitive, as the seed writes "GPT-4.1".
    expect(table.lookup(undefined, undefined, 'GPT-4.1')?.inputMicro).toBe(8_000_000);
    expect(table.lookup(undefined, undefined, 'mystery-model')).toBeUndefined();
  });

  it('prefers the upstream price, then the upstream model name, then the client model name', () => {
    const config = parseConfig(
      {
        pricing: {
          include_defaults: false,
          models: { 'gpt-4.1': { input: 2, output: 8, cached_input: 0.5 }, 'openai/gpt-4.1': 3 },
          upstreams: { holysheep: { 'gpt-4.1': 8 } },
        },
      },
      't',
    );
    const table = new PriceTable(config.pricing);
    expect(table.lookup('holysheep', 'gpt-4.1', 'gpt-4.1')?.outputMicro).toBe(8_000_000);
    expect(table.lookup('openrouter', 'openai/gpt-4.1', 'gpt-4.1')?.outputMicro).toBe(3_000_000);
    expect(table.lookup('openai', 'gpt-4.1', 'gpt-4.1')).toEqual(
      priceFrom({ input: 2, output: 8, cached_input: 0.5 }),
    );
    expect(table.lookup('openai', 'deepseek-v3.2', 'deepseek-v3.2')).toBeUndefined();
  });

  it('refuses prices finer than a micro-dollar per million tokens', () => {
    expect(() => parseConfig({ pricing: { models: { m: 0.0000001 } } }, 't')).toThrow(/at most 6 decimals/);
    expect(() => parseConfig({ pricing: { models: { m: -1 } } }, 't')).toThrow();
  });

  it('prices cached prompt tokens at the cached rate and the rest at input and output rates', () => {
    const price = priceFrom({ input: 2, output: 8, cached_input: 0.5 });
    // 1000 uncached x $2 + 200 cached x $0.5 + 50 x $8, per 1M = 2000 + 100 + 400 = 2500 micro-$
    expect(costPico(price, usage(1_200, 50, 200))).toBe(2_500_000_000n);
  });

  it('sums costs exactly where floating point would drift', () => {
    const price = priceFrom(0.42);
    const child = new UsdChild({});
    let float = 0;
    let exact = 0n;
    for (let i = 0; i < 100_000; i++) {
      const u = usage(7 + (i % 13), 11 + (i % 29));
      child.addTokens(u.promptTokens, price.inputMicro);
      child.addTokens(u.completionTokens, price.outputMicro);
      float += (u.totalTokens * 0.42) / 1e6;
      exact += costPico(price, u);
    }
    const expected = `${exact / 1_000_000_000_000n}.${String(exact % 1_000_000_000_000n).padStart(12, '0')}`;
    expect(child.exact()).toBe(expected);
    expect(child.value).toBe(Number(expected));
    // The naive float sum is not exact: this is what the integer arithmetic is for.
    expect(float).not.toBe(Number(expected));
  });
});
