import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { stripUsageNull, withoutUsageNull } from './usage-null.js';

const strip = (text: string): string => withoutUsageNull(Buffer.from(text)).toString();

describe('withoutUsageNull', () => {
  it('removes the usage:null field OpenAI adds to every chunk, wherever it sits', () => {
    expect(strip('data: {"id":"a","choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n')).toBe(
      'data: {"id":"a","choices":[{"delta":{"content":"hi"}}]}\n\n',
    );
    expect(strip('data: {"usage":null,"id":"a"}\n\ndata: {"id":"b", "usage" : null }\n\n')).toBe(
      'data: {"id":"a"}\n\ndata: {"id":"b" }\n\n',
    );
  });

  it('keeps usage objects, text that mentions usage, and every other byte, multi-byte text included', () => {
    const kept = [
      'data: {"choices":[],"usage":{"prompt_tokens":3}}\n\n',
      'data: {"choices":[{"delta":{"content":"\\"usage\\":null, ünïcødé 🐑"}}]}\n\n',
      'data: {"usage":nullish}\n\n',
    ];
    for (const text of kept) {
      const bytes = Buffer.from(text);
      expect(withoutUsageNull(bytes)).toBe(bytes);
    }
    expect(strip('data: {"choices":[{"delta":{"content":"🐑 ünï"}}],"usage":null}\n\n')).toBe(
      'data: {"choices":[{"delta":{"content":"🐑 ünï"}}]}\n\n',
    );
  });

  it('compacts in place, inside the view it was given, allocating nothing', () => {
    const around = Buffer.from('<<data: {"id":"a","usage":null}\n\ndata: {"id":"b","usage":null}\n\n>>');
    const view = around.subarray(2, around.length - 2);
    const out = withoutUsageNull(view);
    expect(out.toString()).toBe('data: {"id":"a"}\n\ndata: {"id":"b"}\n\n');
    expect(out.buffer).toBe(around.buffer);
    expect(out.byteOffset).toBe(view.byteOffset);
    // The bytes around the view (a socket read's other parts) are untouched.
    expect(around.subarray(0, 2).toString()).toBe('<<');
    expect(around.subarray(around.length - 2).toString()).toBe('>>');
  });
});

describe('stripUsageNull', () => {
  /** A random stream's bytes: content chunks, some with `,"usage":null`, a usage chunk, [DONE]. */
  const randomStream = (seed: number): string => {
    const random = mulberry32(seed);
    const next = (n: number): number => Math.floor(random() * n);
    const pieces = ['ab', 'ünï', 'usage', '"usage":null', '🐑', ' ', 'error', 'DONE]'];
    let out = '';
    for (let i = next(12); i >= 0; i--) {
      const content = Array.from({ length: next(4) }, () => pieces[next(pieces.length)]).join('');
      out += `data: {"choices":[{"delta":{"content":${JSON.stringify(content)}}}]${next(3) > 0 ? ',"usage":null' : ''}}\n\n`;
    }
    return `${out}data: {"choices":[],"usage":{"total_tokens":3}}\n\ndata: [DONE]\n\n`;
  };

  it('maps every position of the compacted bytes to the text as it arrived, and back', () => {
    // Mismatches are collected and checked once: an `expect` per position (~300,000 of them) took
    // 3.5 s alone and passed the 5 s timeout with other test files running beside it.
    const wrong: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const original = Buffer.from(randomStream(seed));
      const before = original.toString('latin1');
      const { bytes, text } = stripUsageNull(Buffer.from(original));
      expect(text.text).toBe(before);
      const after = bytes.toString('latin1');
      for (let at = 0; at < after.length; at++) {
        const index = text.textIndex(at);
        if (before[index] !== after[at]) wrong.push(`seed ${seed}: byte ${at} is text ${index}`);
        // The rest of the text from there, without its fields, is the rest of the bytes.
        if (at % 17 === 0 && before.slice(index).replaceAll(',"usage":null', '') !== after.slice(at))
          wrong.push(`seed ${seed}: the rest from byte ${at}`);
        if (text.bytesIndex(index) !== at)
          wrong.push(`seed ${seed}: text ${index} maps back to ${text.bytesIndex(index)}, not ${at}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives the text as it is when nothing was removed, and the rewritten text on the loose path', () => {
    const plain = Buffer.from('data: {"choices":[]}\n\n');
    const kept = stripUsageNull(plain);
    expect(kept.bytes).toBe(plain);
    expect(kept.text.text).toBe(plain.toString('latin1'));
    expect(kept.text.textIndex(5)).toBe(5);
    const loose = stripUsageNull(Buffer.from('data: {"id":"b", "usage" : null }\n\n'));
    expect(loose.text.text).toBe(loose.bytes.toString('latin1'));
    expect(loose.text.bytesIndex(7)).toBe(7);
  });
});
