// Differential test: renaming the model by splicing the client's bytes must
// give what JSON.parse, rename and JSON.stringify give, for any body; where
// the search cannot be sure, it must say so rather than splice elsewhere.

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { parseJsonObject } from '../server/body.js';
import { modelValueRange, prepareUpstreamBody } from './upstream-body.js';

/** Strings chosen to look like the key, its quotes and its escapes. */
const TRICKY = [
  'model',
  '"model"',
  '"model',
  'x"model',
  '\\"model\\":',
  'mô-hình 🐑',
  'a\\',
  '\\',
  '"',
  ':',
  '{"model":"x"}',
  'đàn cừu',
];

function randomBody(random: () => number): { text: string; model: string } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const model = pick(['gpt-4.1', 'deepseek-v3.2', 'a"b', 'mô-hình']);
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 2 || r < 0.4) return pick(TRICKY);
    if (r < 0.5) return Math.floor(random() * 100);
    if (r < 0.7) return Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
      // A nested model key, sometimes holding the very same name as the top-level one.
      if (random() < 0.3) o.model = random() < 0.5 ? model : value(depth + 1);
      else o[pick(TRICKY)] = value(depth + 1);
    }
    return o;
  };
  const fields: Array<[string, unknown]> = [
    ['model', model],
    ['messages', [{ role: pick(['user', 'model']), content: pick(TRICKY) }]],
  ];
  for (let i = 0; i < Math.floor(random() * 3); i++) fields.push([pick(TRICKY), value(0)]);
  if (random() < 0.1) fields.push(['model', model]); // a duplicate key
  fields.sort(() => random() - 0.5);
  const space = () => pick(['', ' ', '\n  ']);
  const json = (v: unknown) => {
    const text = JSON.stringify(v);
    // Some clients escape everything beyond ASCII (Python's json.dumps does by default).
    return random() < 0.2
      ? text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      : text;
  };
  // A key may be spelled with escapes too.
  const key = (k: string) => (k === 'model' && random() < 0.1 ? '"mod\\u0065l"' : json(k));
  const text = `{${fields.map(([k, v]) => `${space()}${key(k)}${space()}:${space()}${json(v)}`).join(',')}${space()}}`;
  return { text, model };
}

describe('renaming the model in the client bytes (fuzz)', () => {
  it('gives what parsing and re-serialising gives, over 20,000 random bodies', () => {
    const random = mulberry32(2026);
    let spliced = 0;
    for (let i = 0; i < 20_000; i++) {
      const { text, model } = randomBody(random);
      const raw = Buffer.from(text);
      const expected = { ...(JSON.parse(text) as Record<string, unknown>), model: 'renamed/"x"' };
      const { body, fields } = parseJsonObject(raw);
      const range = modelValueRange(raw, model);
      if (range) {
        spliced++;
        expect(raw.toString('utf8', range[0], range[1]), text).toBe(JSON.stringify(model));
      }
      const upstream = prepareUpstreamBody('chat/completions', body, {
        model,
        stream: false,
        streamOptions: fields.stream_options,
      }).forModel('renamed/"x"');
      expect(JSON.parse(upstream.toString()), text).toEqual(expected);
    }
    // Most bodies are spliced, not re-serialised (the cases above are built to be hard).
    expect(spliced).toBeGreaterThan(5_000);
  });
});
