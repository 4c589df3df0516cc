// One log line per request at info, from the finished event: ids, model,
// upstream, status, timings and tokens. Never keys, prompts or completions.
//
// The line has a fixed shape, so it is built directly as pino's JSON and
// written to the logger's own destination: no object, no redaction pass, no
// generic serialiser on the hot path (about 2 us a line instead of 10-40).
// It reads like every other pino line (`level`, `time`, bindings, `msg`).

import { type DestinationStream, type Logger, pino } from 'pino';
import type { FinishInfo, RelayObserver, RequestRecord } from '../events/types.js';

const INFO = pino.levels.values.info ?? 30;
const WARN = pino.levels.values.warn ?? 40;

/**
 * A JSON string literal; client-chosen text (model names, upstream error
 * codes) is escaped. Text that needs no escaping (ids, names, most models) is
 * quoted as it is after a scan of its characters, instead of a call into
 * `JSON.stringify` (the runtime's serialiser) for each of the line's strings.
 */
export function jsonString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 /* " */ || c === 0x5c /* \ */ || c > 0x7e) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/**
 * Milliseconds rounded to hundredths, as JSON: what `String(Math.round(ms *
 * 100) / 100)` prints, from integers (a fractional double's shortest decimal
 * is the dearest number to format).
 */
export function hundredths(ms: number): string {
  const n = Math.round(ms * 100);
  if (!(n >= 0 && n <= 0x3fffffff)) return String(n / 100); // negative, huge or NaN: the general path
  const whole = Math.floor(n / 100);
  const frac = n - whole * 100;
  if (frac === 0) return `${whole}`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return frac < 10 ? `${whole}.0${frac}` : `${whole}.${frac}`;
}

/** Lines are handed to the destination in batches of about this size... */
const BATCH_CHARS = 32 * 1024;
/** ...or at least this often, so a quiet relay's lines still show within a moment. */
const BATCH_MS = 200;

export interface RequestLogger extends RelayObserver {
  /** Writes out lines still batched (call before exit). */
  flush(): void;
}

/**
 * `batch`: hand lines to the destination in batches (fewer, larger writes:
 * the write is a large share of a line's cost under load); lines then appear
 * up to BATCH_MS late. Off by default, so a test destination sees each line at once.
 */
export function requestLogger(logger: Logger, options: { batch?: boolean } = {}): RequestLogger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const out = pending;
    pending = '';
    destination.write(out);
  };
  const write = options.batch
    ? (line: string): void => {
        pending += line;
        if (pending.length >= BATCH_CHARS) flush();
        else if (!timer) {
          timer = setTimeout(flush, BATCH_MS);
          timer.unref();
        }
      }
    : (line: string): void => {
        destination.write(line);
      };
  // The logger's bindings (e.g. `"service":"sheepdog"`) as pino writes them: `,"k":v,...`.
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  return {
    flush,
    requestFinished(req: RequestRecord, info: FinishInfo): void {
      const warn = info.outcome === 'failed' || info.outcome === 'stream_cut';
      if (!logger.isLevelEnabled(warn ? 'warn' : 'info')) return;
      let line = `{"level":${warn ? WARN : INFO},"time":${Date.now()}${bindings},"request_id":${jsonString(req.id)},"endpoint":"${req.endpoint}","model":${jsonString(req.model)}`;
      if (req.upstream !== undefined) line += `,"upstream":${jsonString(req.upstream)}`;
      if (req.upstreamModel !== undefined && req.upstreamModel !== req.model)
        line += `,"upstream_model":${jsonString(req.upstreamModel)}`;
      line += `,"stream":${req.stream},"status":${info.status},"outcome":"${info.outcome}"`;
      if (info.errorCode !== undefined) line += `,"error_code":${jsonString(info.errorCode)}`;
      line += `,"attempts":${req.attempts},"duration_ms":${hundredths(info.durationMs)}`;
      if (req.firstTokenAt !== undefined)
        line += `,"ttft_ms":${hundredths(req.firstTokenAt - req.startedAt)}`;
      line += `,"overhead_ms":${hundredths(req.overheadMs)}`;
      const usage = req.usage;
      if (usage !== undefined)
        line += `,"prompt_tokens":${usage.promptTokens},"completion_tokens":${usage.completionTokens},"usage_source":"${req.usageSource}"`;
      write(`${line},"msg":"request"}\n`);
    },
  };
}
