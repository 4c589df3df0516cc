// The per-request log line at info: Sheepdog's own logger (pino with path
// redaction), against the same line without redaction. Lines go to /dev/null
// through the same buffered async destination the relay uses.

import { pino } from 'pino';

const ROOT = new URL('../../../', import.meta.url);
const { REDACT_PATHS } = await import(new URL('dist/logging/logger.js', ROOT).href);
const { requestLogger } = await import(new URL('dist/logging/request-log.js', ROOT).href);

const dest = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
const options = { level: 'info', base: { service: 'sheepdog' }, timestamp: pino.stdTimeFunctions.isoTime };
const redacted = pino({ ...options, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
const plain = pino(options, dest);

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
const withRedaction = requestLogger(redacted);
const withoutRedaction = requestLogger(plain);

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    // The line is built as pino's JSON and written to the logger's destination,
    // so the logger's redaction settings no longer matter (both kept for comparison).
    name: 'request log line (logger with redact paths)',
    fn: () => withRedaction.requestFinished?.(record, info),
  },
  {
    name: 'request log line (logger without redact paths)',
    fn: () => withoutRedaction.requestFinished?.(record, info),
  },
];
