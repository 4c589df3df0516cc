// The per-request log line at info as the relay writes it: bytes into the
// batch of its own sink (src/logging/log-sink.ts), handed to a buffer-mode
// sonic-boom on /dev/null, against the same line on a plain pino destination
// (the string path tests and users' own destinations take).

import { pino } from 'pino';

const ROOT = new URL('../../../', import.meta.url);
const { LogSink } = await import(new URL('dist/logging/log-sink.js', ROOT).href);
const { requestLogger } = await import(new URL('dist/logging/request-log.js', ROOT).href);

const options = { level: 'info', base: { service: 'sheepdog' } };
const sink = new LogSink(pino.destination({ dest: '/dev/null', sync: false, contentMode: 'buffer' }));
const onSink = requestLogger(pino(options, sink));
const onString = requestLogger(
  pino(options, pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 })),
);

const record = {
  id: 'd303b3a5-07d7-49d0-8bb6-5ba4b22594c0',
  endpoint: 'chat/completions',
  model: 'gpt-4.1',
  stream: true,
  startedAt: 0,
  startedAtEpochMs: Date.now(),
  upstream: 'simulator',
  upstreamModel: 'gpt-4.1',
  attempts: 1,
  firstByteAt: 0.4,
  firstTokenAt: 0.5,
  usage: {
    promptTokens: 18,
    completionTokens: 20,
    totalTokens: 38,
    cachedPromptTokens: 0,
    reasoningTokens: 0,
  },
  usageSource: 'reported',
  status: 200,
  overheadMs: 0.12,
};
const info = { outcome: 'success', status: 200, durationMs: 0.85, errorCode: undefined };

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: 'request log line, as bytes into the relay sink',
    fn: () => onSink.requestFinished?.(record, info),
  },
  {
    name: 'request log line, as a string to a plain pino destination',
    fn: () => onString.requestFinished?.(record, info),
  },
];
