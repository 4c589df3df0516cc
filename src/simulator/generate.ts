// Deterministic completion text: words from a fixed vocabulary, chosen by a PRNG seeded with (seed, prompt hash).
import { hashPrompt, isRecord } from './prompt.js';

const VOCABULARY = [
  'the',
  'flock',
  'moves',
  'across',
  'green',
  'hills',
  'while',
  'a',
  'dog',
  'watches',
  'every',
  'sheep',
  'and',
  'gate',
  'opens',
  'slowly',
  'under',
  'grey',
  'sky',
  'shepherd',
  'whistles',
  'once',
  'twice',
  'field',
  'stone',
  'wall',
  'wind',
  'grass',
  'morning',
  'evening',
  'path',
  'river',
  'bridge',
  'fence',
  'lamb',
  'ewe',
  'ram',
  'barn',
  'hay',
  'rain',
  'sun',
  'quiet',
  'quick',
  'steady',
  'careful',
  'patient',
  'bright',
  'small',
  'large',
  'near',
  'far',
  'over',
  'through',
  'toward',
  'again',
  'always',
  'never',
  'often',
  'together',
  'apart',
  'home',
  'safe',
  'found',
  'lost',
];
const SPACED_VOCABULARY = VOCABULARY.map((word) => ` ${word}`);

export const MIN_COMPLETION_TOKENS = 12;
export const MAX_COMPLETION_TOKENS = 48;

export interface CompletionOptions {
  /** Fixed length instead of the per-prompt length in [12, 48]. */
  completionTokens?: number;
}

export interface CompletionPlan {
  /** One word per token; every token but the first has a leading space. */
  tokens: string[];
  /** 'length' when max_tokens / max_completion_tokens cut the natural length short. */
  finishReason: 'stop' | 'length';
}

/** mulberry32: tiny, fast and good enough to pick words. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The caller's token cap; validation has already rejected non-positive values. */
function maxTokens(body: unknown): number | undefined {
  if (!isRecord(body)) return undefined;
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && cap >= 1 ? Math.floor(cap) : undefined;
}

/** A PRNG for this (seed, prompt) pair; also used for embeddings with the input text as the prompt. */
export function promptRandom(seed: number, promptHash: number): () => number {
  return mulberry32(promptHash ^ Math.imul(seed | 0, 0x9e3779b1));
}

export function planCompletion(seed: number, body: unknown, options: CompletionOptions = {}): CompletionPlan {
  const random = promptRandom(seed, hashPrompt(body));
  const span = MAX_COMPLETION_TOKENS - MIN_COMPLETION_TOKENS + 1;
  const drawnLength = MIN_COMPLETION_TOKENS + Math.floor(random() * span);
  const naturalLength = Math.max(1, Math.floor(options.completionTokens ?? drawnLength));
  const cap = maxTokens(body);
  const length = cap !== undefined && cap < naturalLength ? cap : naturalLength;
  const tokens = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const index = Math.floor(random() * VOCABULARY.length);
    tokens[i] = (i === 0 ? VOCABULARY[index] : SPACED_VOCABULARY[index]) ?? '';
  }
  return { tokens, finishReason: length < naturalLength ? 'length' : 'stop' };
}

/** The tokens the simulator sends for this body: `tokens.join('')` is the message content. */
export function generateCompletion(seed: number, body: unknown, options: CompletionOptions = {}): string[] {
  return planCompletion(seed, body, options).tokens;
}
