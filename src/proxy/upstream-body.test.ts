import { describe, expect, it } from 'vitest';
import { parseJsonObject } from '../server/body.js';
import { modelValueRange, prepareUpstreamBody } from './upstream-body.js';

const raw = (o: unknown) => Buffer.from(JSON.stringify(o));
/** The body as the endpoint hands it over: its bytes, and the fields it read. */
const prepare = (bytes: Buffer, stream: boolean) => {
  const { body, fields } = parseJsonObject(bytes);
  const model = body.text().model as string;
  return prepareUpstreamBody('chat/completions', body, {
    model,
    stream,
    streamOptions: fields.stream_options,
  });
};

describe('prepareUpstreamBody', () => {
  it('forwards the client bytes untouched when nothing must change', () => {
    const bytes = Buffer.from('{"model":"m",  "messages":[]}');
    const body = prepare(bytes, false);
    expect(body.usageInjected).toBe(false);
    expect(body.forModel('m')).toBe(bytes);
  });

  it('asks for stream usage by splicing, keeping the rest of the bytes', () => {
    const bytes = Buffer.from('{"model":"m","stream":true}');
    const body = prepare(bytes, true);
    expect(body.usageInjected).toBe(true);
    expect(body.forModel('m').toString()).toBe(
      '{"stream_options":{"include_usage":true},"model":"m","stream":true}',
    );
  });

  it('merges into existing stream_options, and leaves a client that asked alone', () => {
    const parsed = { model: 'm', stream: true, stream_options: { include_usage: false, x: 1 } };
    const body = prepare(raw(parsed), true);
    expect(JSON.parse(body.forModel('m').toString()).stream_options).toEqual({ include_usage: true, x: 1 });
    const asked = { model: 'm', stream: true, stream_options: { include_usage: true } };
    expect(prepare(raw(asked), true).usageInjected).toBe(false);
  });

  it('renames the model for an upstream that calls it differently', () => {
    const parsed = { model: 'gpt-4.1', messages: [] };
    const body = prepare(raw(parsed), false);
    expect(JSON.parse(body.forModel('openai/gpt-4.1').toString())).toEqual({
      model: 'openai/gpt-4.1',
      messages: [],
    });
  });

  it('re-serialises text beyond ASCII from its UTF-8, not from the bytes the routing parse saw', () => {
    const parsed = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'Xin chào, đàn cừu 🐑' }] };
    const body = prepare(raw(parsed), true);
    expect(JSON.parse(body.forModel('openai/gpt-4.1').toString())).toEqual({
      ...parsed,
      model: 'openai/gpt-4.1',
      stream_options: { include_usage: true },
    });
  });

  it('renames the model in the client bytes, wherever the key sits, keeping every other byte', () => {
    // The Python SDK sends the conversation before the model.
    const text =
      '{"messages": [{"role":"user","content":"Xin chào 🐑 \\"model\\": no"},{"role":"model","content":"x"}], "model" : "gpt-4.1"}';
    const stream = prepare(Buffer.from(text), false);
    expect(stream.forModel('openai/gpt-4.1').toString()).toBe(text.replace('"gpt-4.1"', '"openai/gpt-4.1"'));
    const streamed = prepare(Buffer.from(text.replace('{', '{"stream":true,')), true);
    expect(streamed.forModel('openai/gpt-4.1').toString()).toBe(
      `{"stream_options":{"include_usage":true},"stream":true,${text.slice(1).replace('"gpt-4.1"', '"openai/gpt-4.1"')}`,
    );
  });

  it('re-serialises where a search cannot be sure which "model" is the top-level key', () => {
    const cases = [
      // a nested model key (a tool's parameters)
      {
        model: 'm',
        messages: [],
        tools: [{ function: { parameters: { properties: { model: { type: 'string' } } } } }],
      },
      // \u escapes: a key could be spelled with them
      { model: 'm', messages: [{ role: 'user', content: 'đàn cừu' }] },
    ];
    const bytes = [raw(cases[0]), Buffer.from(JSON.stringify(cases[1]).replace('đàn', '\\u0111\\u00e0n'))];
    for (const [i, b] of bytes.entries()) {
      expect(modelValueRange(b!, 'm')).toBeUndefined();
      expect(JSON.parse(prepare(b!, false).forModel('n').toString())).toEqual({ ...cases[i], model: 'n' });
    }
    // Duplicate keys: JSON takes the last, and so does the renaming.
    const duplicate = Buffer.from('{"model":"a","messages":[],"model":"m"}');
    expect(modelValueRange(duplicate, 'm')).toBeUndefined();
    expect(JSON.parse(prepare(duplicate, false).forModel('n').toString())).toEqual({
      model: 'n',
      messages: [],
    });
    // An escaped quote before "model" is inside a string: the real key is still found.
    const escaped = Buffer.from('{"a\\"model":1,"model":"m"}');
    const value = escaped.lastIndexOf('"m"');
    expect(modelValueRange(escaped, 'm')).toEqual([value, value + 3]);
  });
});
