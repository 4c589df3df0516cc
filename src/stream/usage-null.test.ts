import { describe, expect, it } from 'vitest';
import { withoutUsageNull } from './usage-null.js';

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
