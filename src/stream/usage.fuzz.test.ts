// Differential test: reading a JSON body's usage object without parsing it
// must give what parsing it gives, for any text, including text that strays
// from what providers send (the reader then hands over to the parser).

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { jsonStringEnd, skipJsonSpace } from '../json-bytes.js';
import { extractUsageFromJson, normalizeUsage } from './usage.js';

/** `extractUsageFromJson` as first written: find the object's end, parse it (the oracle). */
function parsedUsage(body: Buffer): ReturnType<typeof normalizeUsage> {
  const key = Buffer.from('"usage"');
  let at = body.lastIndexOf(key);
  while (at >= 0) {
    let i = skipJsonSpace(body, at + key.length);
    if (body[i] === 0x3a) {
      i = skipJsonSpace(body, i + 1);
      if (body[i] === 0x7b) {
        let depth = 0;
        let end = -1;
        for (let j = i; j < body.length; j++) {
          const c = body[j];
          if (c === 0x22) {
            const close = jsonStringEnd(body, j);
            if (close < 0) break;
            j = close - 1;
          } else if (c === 0x7b) depth++;
          else if (c === 0x7d && --depth === 0) {
            end = j + 1;
            break;
          }
        }
        if (end > 0) {
          try {
            return normalizeUsage(JSON.parse(body.toString('utf8', i, end)));
          } catch {
            break;
          }
        }
      }
      if (body[i] === 0x6e) return undefined;
      break;
    }
    at = at === 0 ? -1 : body.lastIndexOf(key, at - 1);
  }
  try {
    return normalizeUsage((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    return undefined;
  }
}

describe('extractUsageFromJson', () => {
  it('agrees with parsing the usage object on 30,000 generated bodies, odd and malformed ones included', () => {
    const random = mulberry32(6);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const keys = [
      'prompt_tokens',
      'completion_tokens',
      'total_tokens',
      'input_tokens',
      'output_tokens',
      'cache_read_input_tokens',
      'prompt_tokens_details',
      'completion_tokens_details',
      'cached_tokens',
      'reasoning_tokens',
      'cost',
      'is_byok',
      'prompt\\u005ftokens',
      'tötal',
      '__proto__',
    ];
    const space = (): string => pick(['', '', '', ' ', '\n  ', '\t']);
    const scalar = (): string =>
      random() < 0.5
        ? String(Math.floor(random() * 5000))
        : pick([
            String(Math.floor(random() * 5000)),
            String(Math.floor(random() * 1e17)),
            '0',
            '007',
            '-3',
            '12.5',
            '3e2',
            '1.',
            '2E+1',
            'null',
            'nul',
            'true',
            'false',
            '"12"',
            '"a\\"b"',
            '"x\ny"',
            '[1,2]',
            '',
          ]);
    const object = (depth: number): string => {
      const pairs = Array.from({ length: Math.floor(random() * 6) }, () => {
        const value = depth < 3 && random() < 0.25 ? object(depth + 1) : scalar();
        return `${space()}"${pick(keys)}"${space()}:${space()}${value}${space()}`;
      });
      // Mostly well-formed: one object in ~10 has a bad separator or no closing brace.
      const comma = random() < 0.97 ? ',' : ';';
      return `{${pairs.join(comma)}${random() < 0.97 ? '}' : ''}`;
    };
    let read = 0;
    for (let n = 0; n < 30_000; n++) {
      const usage = object(1);
      const tail = pick(['', ',"service_tier":"default"', ',"system_fingerprint":"fp_1"}', '']);
      const body = Buffer.from(
        `{"id":"x","choices":[{"message":{"content":"usage"}}],"usage":${space()}${usage}${tail}}`,
      );
      const expected = parsedUsage(body);
      expect(extractUsageFromJson(body), body.toString()).toEqual(expected);
      if (expected !== undefined) read++;
    }
    // Most bodies carry a usage to read: the comparison is not of two undefineds.
    expect(read).toBeGreaterThan(5_000);
  });
});
