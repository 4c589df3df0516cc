// What each step sends and how. Durations are short because every target runs
// every scenario three times inside about five minutes; `--scale` stretches them.

export const PROMPT = 'Write a short poem about a sheepdog watching the flock at dusk.';

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {'rate' | 'closed'} kind
 * @property {boolean} stream
 * @property {number} chunks       content chunks per answer (the simulator sends one token per chunk)
 * @property {number} [rate]       requests/s (open loop)
 * @property {number} [concurrency] requests in flight (closed loop)
 * @property {number} durationMs   measured part (wrk rounds it to whole seconds)
 * @property {number} warmupMs     run first, not measured
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: 'json-500',
    title: 'JSON chat, 500 req/s (open loop)',
    kind: 'rate',
    stream: false,
    chunks: 20,
    rate: 500,
    durationMs: 3000,
    warmupMs: 500,
  },
  {
    id: 'json-2000',
    title: 'JSON chat, 2,000 req/s (open loop)',
    kind: 'rate',
    stream: false,
    chunks: 20,
    rate: 2000,
    durationMs: 2500,
    warmupMs: 500,
  },
  {
    id: 'json-max',
    title: 'JSON chat, 64 in flight (max throughput)',
    kind: 'closed',
    stream: false,
    chunks: 20,
    concurrency: 64,
    durationMs: 2000,
    warmupMs: 500,
  },
  {
    id: 'sse20-500',
    title: 'SSE, 20 chunks, 500 streams/s (open loop)',
    kind: 'rate',
    stream: true,
    chunks: 20,
    rate: 500,
    durationMs: 2500,
    warmupMs: 500,
  },
  {
    id: 'sse20-max',
    title: 'SSE, 20 chunks, 64 in flight (max throughput)',
    kind: 'closed',
    stream: true,
    chunks: 20,
    concurrency: 64,
    durationMs: 2000,
    warmupMs: 500,
  },
  {
    id: 'sse1000-max',
    title: 'SSE, 1,000 chunks, 16 in flight (long stream)',
    kind: 'closed',
    stream: true,
    chunks: 1000,
    concurrency: 16,
    durationMs: 2000,
    warmupMs: 500,
  },
];

/** The simulator runs with this fixed completion length; shorter answers ask for max_tokens. */
export const SIM_COMPLETION_TOKENS = 1000;

/** @param {{ stream: boolean, chunks: number }} s */
export function requestBody(s) {
  const body = {
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: PROMPT }],
    ...(s.chunks < SIM_COMPLETION_TOKENS ? { max_tokens: s.chunks } : {}),
    ...(s.stream ? { stream: true } : {}),
  };
  return JSON.stringify(body);
}

/** The memory step: this many streams held open at once, paced by the simulator. */
export const OPEN_STREAMS = {
  id: 'streams-2000',
  title: '2,000 open streams (memory)',
  concurrency: 2000,
  rampMs: 5000,
  /** Default hold when --soak is not given, seconds. */
  defaultHoldS: 15,
  /** Other targets hold at most this long even under --soak, seconds. */
  peerHoldS: 10,
};

/** Pause between chunks so a 1,000-chunk stream outlasts the hold, at a rate the relay barely notices. */
export function chunkDelayMs(/** @type {number} */ holdS) {
  return Math.max(500, Math.ceil(holdS + 30));
}
