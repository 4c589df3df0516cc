// Differential test: reading a JSON body's usage object without parsing it
// must give what parsing it gives, for any text, including text that strays
// from what providers send (the reader then hands over to the parser).

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { extractUsageFromJson } from './usage.js';

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
      // The oracle: the same search, the object always parsed (as the reader was first written).
      const expected = extractUsageFromJson(body, false);
      expect(extractUsageFromJson(body), body.toString()).toEqual(expected);
      if (expected !== undefined) read++;
    }
    // Most bodies carry a usage to read: the comparison is not of two undefineds.
    expect(read).toBeGreaterThan(5_000);
  });
});
