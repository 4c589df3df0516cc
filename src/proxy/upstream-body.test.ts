import { describe, expect, it } from 'vitest';
import { prepareUpstreamBody } from './upstream-body.js';

const raw = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('prepareUpstreamBody', () => {
  it('forwards the client bytes untouched when nothing must change', () => {
    const bytes = Buffer.from('{"model":"m",  "messages":[]}');
    const body = prepareUpstreamBody('chat/completions', bytes, JSON.parse(bytes.toString()), false);
    expect(body.usageInjected).toBe(false);
    expect(body.forModel('m')).toBe(bytes);
  });

  it('asks for stream usage by splicing, keeping the rest of the bytes', () => {
    const bytes = Buffer.from('{"model":"m","stream":true}');
    const body = prepareUpstreamBody('chat/completions', bytes, JSON.parse(bytes.toString()), true);
    expect(body.usageInjected).toBe(true);
    expect(body.forModel('m').toString()).toBe(
      '{"stream_options":{"include_usage":true},"model":"m","stream":true}',
    );
  });

  it('merges into existing stream_options, and leaves a client that asked alone', () => {
    const parsed = { model: 'm', stream: true, stream_options: { include_usage: false, x: 1 } };
    const body = prepareUpstreamBody('chat/completions', raw(parsed), parsed, true);
    expect(JSON.parse(body.forModel('m').toString()).stream_options).toEqual({ include_usage: true, x: 1 });
    const asked = { model: 'm', stream: true, stream_options: { include_usage: true } };
    expect(prepareUpstreamBody('chat/completions', raw(asked), asked, true).usageInjected).toBe(false);
  });

  it('renames the model for an upstream that calls it differently', () => {
    const parsed = { model: 'gpt-4.1', messages: [] };
    const body = prepareUpstreamBody('chat/completions', raw(parsed), parsed, false);
    expect(JSON.parse(body.forModel('openai/gpt-4.1').toString())).toEqual({
      model: 'openai/gpt-4.1',
      messages: [],
    });
  });
});
