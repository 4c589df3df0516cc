// A realistic OpenAI chat stream, shaped exactly like the simulator's (and
// OpenAI's) chunks: the role chunk, one chunk per token, the finish chunk,
// the usage-only chunk Sheepdog asks for, and [DONE].

const HEAD =
  '{"id":"chatcmpl-sim1a2b","object":"chat.completion.chunk","created":1795884406,"model":"gpt-4.1","service_tier":"default","system_fingerprint":"fp_sheepdog_sim","choices":';
const WORDS = ['the', ' flock', ' moves', ' across', ' green', ' hills', ' while', ' a', ' dog', ' watches'];

/** @param {string} delta @param {string} finish */
const choice = (delta, finish) =>
  `data: ${HEAD}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}],"usage":null}\n\n`;

/** The events of a stream with `tokens` content chunks, each a string. @param {number} tokens */
export function chatStreamEvents(tokens) {
  const events = [choice('{"role":"assistant","content":""}', 'null')];
  for (let i = 0; i < tokens; i++)
    events.push(choice(`{"content":${JSON.stringify(WORDS[i % WORDS.length])}}`, 'null'));
  events.push(choice('{}', '"stop"'));
  events.push(
    `data: ${HEAD}[],"usage":{"prompt_tokens":18,"completion_tokens":${tokens},"total_tokens":${18 + tokens},"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n`,
  );
  events.push('data: [DONE]\n\n');
  return events;
}

/** One content event, as bytes. */
export const CONTENT_EVENT = Buffer.from(chatStreamEvents(1)[1] ?? '');

/** The `data` of that event (what the accountant parses). */
export const CONTENT_DATA = CONTENT_EVENT.toString().slice(6, -2);

export const ROOT = new URL('../../', import.meta.url);

/** Imports a built module, e.g. dist('stream/sse-framer.js'). @param {string} path */
export const dist = (path) => import(new URL(`dist/${path}`, ROOT).href);

/**
 * Emits every event of one successful streamed request on `hub`, in the
 * relay's order (the metrics micro-benchmarks share it).
 * @param {any} hub an EventHub
 * @param {any} req its RequestRecord
 * @param {{ attempt: any, headers: Record<string, string>, ttftMs: number, result: any, usage: any, finish: any }} e
 */
export function emitStreamedRequest(hub, req, e) {
  hub.requestStarted(req);
  hub.attemptStarted(req, e.attempt);
  hub.upstreamHeaders(req, e.attempt, 200, e.headers);
  hub.firstToken(req, e.ttftMs);
  hub.attemptFinished(req, e.result);
  hub.usageKnown(req, e.usage, 'reported');
  hub.requestFinished(req, e.finish);
}

/**
 * A fresh RequestRecord of a streamed chat request that got its usage, as the
 * relay hands subscribers (one per request, so allocation is measured too).
 * @param {string} upstream @param {any} usage
 */
export function streamedRecord(upstream, usage) {
  return {
    id: 'r',
    endpoint: 'chat/completions',
    model: 'gpt-4.1',
    stream: true,
    startedAt: 0,
    startedAtEpochMs: 0,
    upstream,
    upstreamModel: 'gpt-4.1',
    attempts: 1,
    firstByteAt: 50,
    firstTokenAt: 100,
    usage,
    usageSource: 'reported',
    status: 200,
    overheadMs: 1.2,
  };
}
