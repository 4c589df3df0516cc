// One log line per request at info, from the finished event: ids, model,
// upstream, status, timings and tokens. Never keys, prompts or completions.

import type { Logger } from 'pino';
import type { FinishInfo, RelayObserver, RequestRecord } from '../events/types.js';

const round = (ms: number): number => Math.round(ms * 100) / 100;

export function requestLogger(parent: Logger): RelayObserver {
  // This line's fields are fixed and never hold a secret, so it skips the
  // path redaction the process logger applies (20-40 us a line, measured).
  const logger = parent.child({}, { redact: [] });
  return {
    requestFinished(req: RequestRecord, info: FinishInfo): void {
      if (!logger.isLevelEnabled('info')) return;
      const level = info.outcome === 'failed' || info.outcome === 'stream_cut' ? 'warn' : 'info';
      logger[level](
        {
          request_id: req.id,
          endpoint: req.endpoint,
          model: req.model,
          upstream: req.upstream,
          upstream_model: req.upstreamModel !== req.model ? req.upstreamModel : undefined,
          stream: req.stream,
          status: info.status,
          outcome: info.outcome,
          error_code: info.errorCode,
          attempts: req.attempts,
          duration_ms: round(info.durationMs),
          ttft_ms: req.firstTokenAt === undefined ? undefined : round(req.firstTokenAt - req.startedAt),
          overhead_ms: round(req.overheadMs),
          prompt_tokens: req.usage?.promptTokens,
          completion_tokens: req.usage?.completionTokens,
          usage_source: req.usageSource,
        },
        'request',
      );
    },
  };
}
