import { describe, expect, it } from 'vitest';
import { generateCompletion, planCompletion } from './generate.js';
import { countPromptTokens } from './prompt.js';

const chatBody = {
  model: 'gpt-4.1',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: [{ type: 'text', text: 'Tell me about sheepdogs.' }] },
  ],
};

describe('countPromptTokens', () => {
  it('applies 3 + per message (3 + ceil(chars/4)) to chat bodies', () => {
    expect(countPromptTokens({ messages: [{ role: 'user', content: 'abcde' }] })).toBe(3 + 3 + 2);
    expect(countPromptTokens(chatBody)).toBe(3 + (3 + 7) + (3 + 6));
    expect(countPromptTokens({ messages: [{ role: 'assistant', content: null }] })).toBe(6);
  });

  it('counts each completion or embedding input, at least 1', () => {
    expect(countPromptTokens({ prompt: ['abcd', ''] })).toBe(2);
    expect(countPromptTokens({ input: 'abcdefghi' })).toBe(3);
    expect(countPromptTokens({ input: [1, 2, 3, 4, 5] })).toBe(5);
    expect(countPromptTokens({ input: [[1, 2], [3]] })).toBe(3);
  });
});

describe('generateCompletion', () => {
  it('depends on seed and prompt only', () => {
    const tokens = generateCompletion(42, chatBody);
    expect(tokens.length).toBeGreaterThanOrEqual(12);
    expect(tokens.length).toBeLessThanOrEqual(48);
    expect(tokens[0]).toMatch(/^\S+$/);
    for (const token of tokens.slice(1)) expect(token).toMatch(/^ \S+$/);
    expect(generateCompletion(42, { ...chatBody, stream: true, model: 'other' })).toEqual(tokens);
    expect(generateCompletion(7, chatBody)).not.toEqual(tokens);
    expect(generateCompletion(42, { ...chatBody, messages: chatBody.messages.slice(1) })).not.toEqual(tokens);
  });

  it('honours a fixed length and cuts at max_tokens with finish_reason length', () => {
    expect(generateCompletion(42, chatBody, { completionTokens: 5 })).toHaveLength(5);
    const full = planCompletion(42, chatBody, { completionTokens: 5 });
    expect(full.finishReason).toBe('stop');
    const cut = planCompletion(42, { ...chatBody, max_completion_tokens: 2 }, { completionTokens: 5 });
    expect(cut).toEqual({ tokens: full.tokens.slice(0, 2), finishReason: 'length' });
    expect(planCompletion(42, { ...chatBody, max_tokens: 5 }, { completionTokens: 5 }).finishReason).toBe(
      'stop',
    );
  });

  it('spreads lengths over [12, 48] across prompts', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 200; i++) lengths.add(generateCompletion(42, { prompt: `p${i}` }).length);
    expect(Math.min(...lengths)).toBe(12);
    expect(Math.max(...lengths)).toBe(48);
  });
});
