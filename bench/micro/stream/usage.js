// src/stream/usage.ts: a JSON answer's usage read out of its bytes, the
// simulator's answer as OpenAI lays it out (the regular expression's fast
// path), the same with spaces in its usage object (the byte reader), and the
// object parsed (the oracle both are tested against).

import { dist } from '../fixtures.js';

const { extractUsageFromJson } = await dist('stream/usage.js');

const answer = (/** @type {string} */ usage) =>
  Buffer.from(
    `{"id":"chatcmpl-sim1","object":"chat.completion","created":1795946912,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"path often often lost rain","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"length"}],"usage":${usage},"service_tier":"default","system_fingerprint":"fp_sheepdog_sim"}`,
  );
const openai = answer(
  '{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}',
);
const spaced = answer(
  '{"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12, "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}',
);

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: "JSON answer's usage, OpenAI's layout (regular expression)",
    fn: () => extractUsageFromJson(openai),
  },
  { name: 'the same with spaces (byte reader)', fn: () => extractUsageFromJson(spaced) },
  { name: 'the usage object parsed (the oracle)', fn: () => extractUsageFromJson(openai, false) },
];
