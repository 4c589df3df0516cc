// One log line per request at info, from the finished event: ids, model,
// upstream, status, timings and tokens. Never keys, prompts or completions.
//
// The line has a fixed shape, so it is written directly as pino's JSON, in
// bytes, into the batch of the logger's own sink: no object, no redaction
// pass, no generic serialiser, no string on the hot path. It reads like every
// other pino line (`level`, `time`, bindings, `msg`).

import { type DestinationStream, type Logger, pino } from 'pino';
import type { FinishInfo, RelayObserver, RequestRecord } from '../events/types.js';
import { LineBytes } from './line-bytes.js';
import { LogSink } from './log-sink.js';

// The line's fixed pieces, encoded once; a piece around a value from a small
// fixed set (endpoint, outcome, usage source) is encoded once per value.
const P = encodeAll({
  infoStart: `{"level":${pino.levels.values.info ?? 30},"time":`,
  warnStart: `{"level":${pino.levels.values.warn ?? 40},"time":`,
  requestId: ',"request_id":',
  model: ',"model":',
  upstreamModel: ',"upstream_model":',
  streamTrue: ',"stream":true,"status":',
  streamFalse: ',"stream":false,"status":',
  attempts: ',"attempts":',
  duration: ',"duration_ms":',
  ttft: ',"ttft_ms":',
  overhead: ',"overhead_ms":',
  promptTokens: ',"prompt_tokens":',
  completionTokens: ',"completion_tokens":',
  end: ',"msg":"request"}\n',
});

function encodeAll<K extends string>(texts: Record<K, string>): Record<K, Buffer> {
  return Object.fromEntries(Object.entries<string>(texts).map(([k, t]) => [k, Buffer.from(t)])) as Record<
    K,
    Buffer
  >;
}

/** `before + value + after` as bytes (the value escaped), encoded on a value's first use: for values from a small set. */
class PieceAround {
  private readonly encoded = new Map<string, Buffer>();
  // The last value's piece, kept: lines come in runs of one value, and a `Map`
  // lookup by a string is ~300 instructions (four of them a line, counted by callgrind).
  private lastValue: string | undefined = undefined;
  private lastBytes: Buffer = Buffer.alloc(0);
  constructor(
    private readonly before: string,
    private readonly after: string,
  ) {}
  of(value: string): Buffer {
    if (value === this.lastValue) return this.lastBytes;
    let bytes = this.encoded.get(value);
    if (bytes === undefined) {
      bytes = Buffer.from(`${this.before}${JSON.stringify(value).slice(1, -1)}${this.after}`);
      this.encoded.set(value, bytes);
    }
    this.lastValue = value;
    this.lastBytes = bytes;
    return bytes;
  }
}
const ENDPOINT = new PieceAround(',"endpoint":"', '"');
/** Upstream names come from the configuration: a small set. */
const UPSTREAM = new PieceAround(',"upstream":"', '"');
const OUTCOME = new PieceAround(',"outcome":"', '","attempts":');
const OUTCOME_WITH_ERROR = new PieceAround(',"outcome":"', '","error_code":');
const USAGE_SOURCE_END = new PieceAround(',"usage_source":"', '","msg":"request"}\n');

/**
 * The request log on `logger`'s destination. On the relay's own sink (see
 * log-sink.ts) each line is written as bytes into the sink's batch; any other
 * destination (a test's, a user's) gets it as a string, as pino's own lines.
 */
export function requestLogger(logger: Logger): RelayObserver {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!;
  const sink = destination instanceof LogSink ? destination : undefined;
  const own = sink ? undefined : new LineBytes(1024);
  // The logger's bindings (e.g. `"service":"sheepdog"`) as pino writes them: `,"k":v,...`, encoded once.
  const bindings = Buffer.from(
    (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '',
  );
  // The last model's piece, kept: traffic comes in runs of one model (escaping it again is ~1k instructions).
  let lastModel: string | undefined;
  const modelPiece = new LineBytes(64);
  let lastModelBytes = modelPiece.buf.subarray(0, 0);
  return {
    requestFinished(req: RequestRecord, info: FinishInfo): void {
      const warn = info.outcome === 'failed' || info.outcome === 'stream_cut';
      if (!logger.isLevelEnabled(warn ? 'warn' : 'info')) return;
      const out = sink ? sink.lines : own!;
      out.bytes(warn ? P.warnStart : P.infoStart);
      out.number(Date.now());
      out.bytes(bindings);
      out.bytes(P.requestId);
      out.jsonString(req.id);
      out.bytes(ENDPOINT.of(req.endpoint));
      if (req.model !== lastModel) {
        lastModel = req.model;
        modelPiece.length = 0;
        modelPiece.bytes(P.model);
        modelPiece.jsonString(lastModel);
        lastModelBytes = modelPiece.buf.subarray(0, modelPiece.length);
      }
      out.bytes(lastModelBytes);
      if (req.upstream !== undefined) out.bytes(UPSTREAM.of(req.upstream));
      if (req.upstreamModel !== undefined && req.upstreamModel !== req.model) {
        out.bytes(P.upstreamModel);
        out.jsonString(req.upstreamModel);
      }
      out.bytes(req.stream ? P.streamTrue : P.streamFalse);
      out.number(info.status);
      if (info.errorCode !== undefined) {
        out.bytes(OUTCOME_WITH_ERROR.of(info.outcome));
        out.jsonString(info.errorCode);
        out.bytes(P.attempts);
      } else out.bytes(OUTCOME.of(info.outcome));
      out.number(req.attempts);
      out.bytes(P.duration);
      out.hundredths(info.durationMs);
      if (req.firstTokenAt !== undefined) {
        out.bytes(P.ttft);
        out.hundredths(req.firstTokenAt - req.startedAt);
      }
      out.bytes(P.overhead);
      out.hundredths(req.overheadMs);
      const usage = req.usage;
      if (usage !== undefined) {
        out.bytes(P.promptTokens);
        out.number(usage.promptTokens);
        out.bytes(P.completionTokens);
        out.number(usage.completionTokens);
        out.bytes(USAGE_SOURCE_END.of(req.usageSource ?? 'reported'));
      } else out.bytes(P.end);
      if (sink) sink.written();
      else destination.write(out.takeText());
    },
  };
}
