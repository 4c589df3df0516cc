import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FinishInfo, RequestRecord } from '../events/types.js';
import { hundredths, jsonString, requestLogger } from './request-log.js';

describe('request log line', () => {
  it('quotes plain text as it is and escapes the rest as JSON.stringify does', () => {
    for (const text of ['', 'gpt-4o-mini', 'd303b3a5-07d7-49d0-8bb6-5ba4b22594c0', 'openai/gpt-4.1'])
      expect(jsonString(text)).toBe(`"${text}"`);
    for (const text of [
      'a"b',
      'back\\slash',
      'new\nline',
      'tab\t',
      '\u0000',
      'mô hình',
      '模型',
      'emoji 🐑',
      '\u007f',
    ])
      expect(JSON.parse(jsonString(text))).toBe(text);
    for (const text of ['a"b', 'back\\slash', 'new\nline', '\u0000'])
      expect(jsonString(text)).toBe(JSON.stringify(text));
  });

  it('prints milliseconds to hundredths exactly as String(Math.round(ms * 100) / 100) does', () => {
    const samples = [0, 0.004, 0.005, 0.05, 0.1, 0.999, 1, 3.8, 3.87, 10.05, 99.995, 123456.789, 1e7 + 0.25];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      samples.push((seed / 2_147_483_648) * 10 ** (seed % 7));
    }
    // Outside the integer fast path: negative, NaN, beyond 2^30 hundredths.
    samples.push(-1.234, Number.NaN, 2 ** 40 + 0.5, Number.POSITIVE_INFINITY);
    for (const ms of samples) expect(hundredths(ms), String(ms)).toBe(String(Math.round(ms * 100) / 100));
  });

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
});
