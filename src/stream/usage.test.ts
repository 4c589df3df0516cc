import { describe, expect, it } from 'vitest';
import { extractUsageFromJson, normalizeUsage } from './usage.js';

describe('usage', () => {
  it('normalises OpenAI usage with cached and reasoning details', () => {
    expect(
      normalizeUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
    ).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      cachedPromptTokens: 4,
      reasoningTokens: 2,
    });
  });

  it('reads Anthropic-style names and computes a missing total', () => {
    expect(normalizeUsage({ input_tokens: 3, output_tokens: 4 })).toMatchObject({ totalTokens: 7 });
    expect(normalizeUsage(null)).toBeUndefined();
    expect(normalizeUsage({})).toBeUndefined();
  });

  it('finds the top-level usage without being fooled by content that mentions it', () => {
    const body = JSON.stringify({
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} field' } }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(extractUsageFromJson(Buffer.from(body))?.promptTokens).toBe(7);
  });

  it('handles usage first, null usage and no usage', () => {
    const first = Buffer.from('{"usage":{"prompt_tokens":2,"completion_tokens":1},"choices":[]}');
    expect(extractUsageFromJson(first)?.totalTokens).toBe(3);
    expect(extractUsageFromJson(Buffer.from('{"usage":null}'))).toBeUndefined();
    expect(extractUsageFromJson(Buffer.from('{"choices":[]}'))).toBeUndefined();
    expect(extractUsageFromJson(Buffer.from('not json'))).toBeUndefined();
  });

  it('reads a usage object whose strings hold braces and escaped quotes', () => {
    const body = Buffer.from(
      '{"choices":[],"usage":{"prompt_tokens":2,"note":"a \\" } {\\\\","completion_tokens":5}}',
    );
    expect(JSON.parse(body.toString()).usage.note).toBe('a " } {\\');
    expect(extractUsageFromJson(body)?.completionTokens).toBe(5);
  });

  it('reads a duplicated key as a parser does: the last one wins', () => {
    const body = Buffer.from(
      '{"usage":{"prompt_tokens":9,"prompt_tokens_details":{"cached_tokens":4},"prompt_tokens":2,"prompt_tokens_details":5}}',
    );
    expect(extractUsageFromJson(body)).toMatchObject({ promptTokens: 2, cachedPromptTokens: 0 });
  });
});
