import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, scaleDuration } from './durations.js';

describe('Prometheus durations', () => {
  it('parses single and combined units', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2s500ms')).toBe(2_500);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(() => parseDuration('5 m')).toThrow(/not a Prometheus duration/);
    expect(() => parseDuration('')).toThrow();
    expect(() => parseDuration('1.5h')).toThrow();
  });

  it('formats canonically, round-tripping', () => {
    expect(formatDuration(2_500)).toBe('2s500ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
    for (const d of ['6h', '1d', '83ms', '1m30s']) expect(formatDuration(parseDuration(d))).toBe(d);
  });

  it('scales, with a floor, and leaves shipped durations untouched', () => {
    expect(scaleDuration('5m', 1)).toBe('5m');
    expect(scaleDuration('1h', 1 / 120)).toBe('30s');
    expect(scaleDuration('5m', 1 / 120)).toBe('2s500ms');
    expect(scaleDuration('5m', 1 / 120, 4_000)).toBe('4s');
    expect(scaleDuration('10s', 1 / 120)).toBe('83ms');
  });
});
