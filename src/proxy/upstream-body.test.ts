import { describe, expect, it } from 'vitest';
import { parseJsonObject } from '../server/body.js';
import { prepareUpstreamBody } from './upstream-body.js';

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
});
