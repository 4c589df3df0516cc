import { describe, expect, it } from 'vitest';
import { LineBytes } from './line-bytes.js';

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('LineBytes', () => {
  it('writes a JSON string as the bytes of JSON.stringify, escapes and UTF-8 included', () => {
    const out = new LineBytes(16); // small, so the buffer grows along the way
    const samples = [
      '',
      'gpt-4o-mini',
      'a"b',
      'back\\slash',
      'new\nline\r\ttab\b\f',
      '\u0000\u001f\u007f',
      'mô hình',
      '模型',
      'emoji 🐑',
      '\ud800 lone high',
      'lone low \udc00',
      'swapped \udc00\ud800',
      'at the end \ud83d',
    ];
    const next = random(11);
    // Random strings over the ranges that take different paths: ASCII, controls, 2- and 3-byte, surrogates.
    const ranges = [
      [0x20, 0x7f],
      [0, 0x20],
      [0x80, 0x800],
      [0x800, 0xd800],
      [0xd800, 0xe000],
      [0xe000, 0x10000],
    ] as const;
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const length = Math.floor(next() * 12);
      for (let j = 0; j < length; j++) {
        const [lo, hi] = ranges[Math.floor(next() * ranges.length)]!;
        text += String.fromCharCode(lo + Math.floor(next() * (hi - lo)));
      }
      samples.push(text);
    }
    for (const text of samples) {
      out.jsonString(text);
      expect(out.take(8).equals(Buffer.from(JSON.stringify(text))), JSON.stringify(text)).toBe(true);
    }
  });

  it('prints numbers as String() does, epoch milliseconds included', () => {
    const out = new LineBytes(4);
    const samples = [0, 1, 9, 10, 99, 100, 200, 429, 2 ** 31 - 1, 2 ** 31, 1_764_417_600_123, 1_000_000];
    samples.push(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -1, 0.5, Number.NaN, 1e21);
    const next = random(3);
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(next() * 10 ** Math.floor(next() * 16)));
    for (const n of samples) {
      out.number(n);
      expect(out.takeText(), String(n)).toBe(String(n));
    }
  });

  it('prints milliseconds to hundredths exactly as String(Math.round(ms * 100) / 100) does', () => {
    const out = new LineBytes(4);
    const samples = [0, 0.004, 0.005, 0.05, 0.1, 0.999, 1, 3.8, 3.87, 10.05, 99.995, 123456.789, 1e7 + 0.25];
    const next = random(7);
    for (let i = 0; i < 20_000; i++) samples.push(next() * 10 ** Math.floor(next() * 7));
    // Outside the integer fast path: negative, NaN, beyond 2^30 hundredths.
    samples.push(-1.234, Number.NaN, 2 ** 40 + 0.5, Number.POSITIVE_INFINITY);
    for (const ms of samples) {
      out.hundredths(ms);
      expect(out.takeText(), String(ms)).toBe(String(Math.round(ms * 100) / 100));
    }
  });

  it('hands over what it holds and starts again on a fresh buffer', () => {
    const out = new LineBytes(8);
    out.ascii('{"a":');
    out.number(12);
    out.utf8('}\n…');
    const first = out.take(8);
    out.ascii('x');
    expect(first.toString()).toBe('{"a":12}\n…');
    expect(out.takeText()).toBe('x');
    expect(out.length).toBe(0);
  });
});
