import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FinishInfo, RequestRecord } from '../events/types.js';
import { type ByteWriter, LogSink } from './log-sink.js';
import { requestLogger } from './request-log.js';

describe('request log line', () => {
  it('writes one valid JSON line per request with the escaped model and rounded timings', () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info', base: { service: 'sheepdog' } },
      { write: (l: string) => lines.push(l) },
    );
    const record = {
      id: 'req-1',
      endpoint: 'chat/completions',
      model: 'evil"\nmodel',
      stream: true,
      startedAt: 100,
      upstream: 'primary',
      upstreamModel: 'gpt-4.1',
      attempts: 2,
      firstTokenAt: 100.456,
      usage: { promptTokens: 3, completionTokens: 5, totalTokens: 8 },
      usageSource: 'reported',
      overheadMs: 0.0349,
    } as unknown as RequestRecord;
    const info: FinishInfo = { outcome: 'success', status: 200, durationMs: 12.3456, errorCode: undefined };
    requestLogger(logger).requestFinished?.(record, info);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 30,
      service: 'sheepdog',
      request_id: 'req-1',
      model: 'evil"\nmodel',
      upstream: 'primary',
      upstream_model: 'gpt-4.1',
      stream: true,
      status: 200,
      attempts: 2,
      duration_ms: 12.35,
      ttft_ms: 0.46,
      overhead_ms: 0.03,
      prompt_tokens: 3,
      completion_tokens: 5,
      msg: 'request',
    });
  });

  describe("on the relay's own sink", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A sink whose writer keeps what it is handed, and a logger on it. */
    function sinkLogger() {
      const handed: Buffer[] = [];
      const writer: ByteWriter = {
        write: (bytes) => handed.push(bytes) > 0,
        flush: (cb) => cb?.(),
        flushSync: () => {},
      };
      const sink = new LogSink(writer);
      const logger = pino({ level: 'info', base: { service: 'sheepdog' } }, sink);
      return { handed, sink, logger, log: requestLogger(logger) };
    }

    const record = {
      id: 'req-2',
      endpoint: 'chat/completions',
      model: 'mô hình "x"',
      stream: false,
      startedAt: 0,
      upstream: 'primary',
      upstreamModel: 'mô hình "x"',
      attempts: 1,
      firstTokenAt: undefined,
      usage: { promptTokens: 18, completionTokens: 20, totalTokens: 38 },
      usageSource: 'estimated',
      overheadMs: 0.125,
    } as unknown as RequestRecord;

    it("batches request lines as bytes with pino's own lines, in order", () => {
      const { handed, sink, logger, log } = sinkLogger();
      logger.info('before');
      log.requestFinished?.(record, {
        outcome: 'failed',
        status: 502,
        durationMs: 3,
        errorCode: 'upstream_timeout',
      });
      logger.warn({ n: 1 }, 'after');
      expect(handed).toHaveLength(0); // batched: nothing written yet
      sink.flush();
      expect(handed).toHaveLength(1);
      const lines = handed[0]!.toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['before', 'request', 'after']);
      const line = JSON.parse(lines[1]!);
      expect(line).toEqual({
        level: 40,
        time: line.time,
        service: 'sheepdog',
        request_id: 'req-2',
        endpoint: 'chat/completions',
        model: 'mô hình "x"',
        upstream: 'primary',
        stream: false,
        status: 502,
        outcome: 'failed',
        error_code: 'upstream_timeout',
        attempts: 1,
        duration_ms: 3,
        overhead_ms: 0.13,
        prompt_tokens: 18,
        completion_tokens: 20,
        usage_source: 'estimated',
        msg: 'request',
      });
      expect(Math.abs(line.time - Date.now())).toBeLessThan(60_000);
    });

    it('hands a batch over when it is full, and a quiet one after a moment', () => {
      vi.useFakeTimers();
      const { handed, log } = sinkLogger();
      const info: FinishInfo = { outcome: 'success', status: 200, durationMs: 1.5, errorCode: undefined };
      let lines = 0;
      while (handed.length === 0) {
        log.requestFinished?.(record, info);
        lines++;
      }
      expect(handed[0]!.length).toBeGreaterThanOrEqual(32 * 1024);
      expect(handed[0]!.toString().split('\n')).toHaveLength(lines + 1);
      log.requestFinished?.(record, info);
      expect(handed).toHaveLength(1);
      vi.advanceTimersByTime(200);
      expect(handed).toHaveLength(2);
      expect(JSON.parse(handed[1]!.toString()).request_id).toBe('req-2');
    });
  });
});
