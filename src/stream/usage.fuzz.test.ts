// Differential test: reading a JSON body's usage object without parsing it
// must give what parsing it gives, for any text, including text that strays
// from what providers send (the reader then hands over to the parser).

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { extractUsageFromJson, readCanonicalUsage } from './usage.js';

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
  it("agrees with parsing on 20,000 bodies in and near OpenAI's own layout (its fast path)", () => {
    const random = mulberry32(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const number = (): string =>
      random() < 0.8
        ? String(Math.floor(random() * 100_000))
        : pick(['0', '00', '07', '-1', '1.5', '2e3', '999999999999999', '1234567890123456', 'null', '"3"']);
    const layout = (): string => {
      const details: string[] = [];
      if (random() < 0.7)
        details.push(
          `"prompt_tokens_details":{"cached_tokens":${number()}${random() < 0.5 ? `,"audio_tokens":${number()}` : ''}}`,
        );
      if (random() < 0.7) {
        const extra = ['audio_tokens', 'accepted_prediction_tokens', 'rejected_prediction_tokens']
          .filter(() => random() < 0.6)
          .map((key) => `,"${key}":${number()}`)
          .join('');
        details.push(`"completion_tokens_details":{"reasoning_tokens":${number()}${extra}}`);
      }
      const head = [
        `"prompt_tokens":${number()}`,
        `"completion_tokens":${number()}`,
        `"total_tokens":${number()}`,
      ];
      return `{${[...head, ...details].join(',')}}`;
    };
    // Near misses: one edit that the layout does not allow, the reader after it must still agree.
    const mutate = (text: string): string => {
      const at = Math.floor(random() * text.length);
      return pick([
        () => `${text.slice(0, at)} ${text.slice(at)}`,
        () => text.slice(0, at) + text.slice(at + 1),
        () => `${text.slice(0, at)}"x":1,${text.slice(at)}`,
        () => text.replace('prompt_tokens', 'prompt\\u005ftokens'),
        () => text.replace('"completion_tokens":', '"cost":0.5,"completion_tokens":'),
        () => text.replace(/^\{("prompt_tokens":[^,]*),("completion_tokens":[^,]*)/, '{$2,$1'),
      ])();
    };
    let fast = 0;
    for (let n = 0; n < 20_000; n++) {
      const usage = random() < 0.6 ? layout() : mutate(layout());
      const body = Buffer.from(`{"id":"x","choices":[],"usage":${usage},"service_tier":"default"}`);
      const expected = extractUsageFromJson(body, false);
      expect(extractUsageFromJson(body), body.toString()).toEqual(expected);
      if (readCanonicalUsage(body, body.indexOf('{', 2 + body.indexOf('"usage"'))) !== undefined) fast++;
    }
    // About a fifth took the fast path (the rest strayed from the layout): both sides are compared.
    expect(fast).toBeGreaterThan(3_000);
    expect(fast).toBeLessThan(17_000);
  });

  it("reads the longest object of OpenAI's layout on its fast path", () => {
    const n = '999999999999999';
    const usage = `{"prompt_tokens":${n},"completion_tokens":${n},"total_tokens":${n},"prompt_tokens_details":{"cached_tokens":${n},"audio_tokens":${n}},"completion_tokens_details":{"reasoning_tokens":${n},"audio_tokens":${n},"accepted_prediction_tokens":${n},"rejected_prediction_tokens":${n}}}`;
    const body = Buffer.from(`{"usage":${usage}}`);
    expect(readCanonicalUsage(body, 9)).toEqual(extractUsageFromJson(body, false));
  });
});
