import { describe, expect, it } from 'vitest';
import { findEventEnd, parseEvent, type SseEvent, SseEventTooLargeError, SseFramer } from './sse-framer.js';

function frame(chunks: string[], max = 1024): SseEvent[] {
  const framer = new SseFramer(max);
  const events: SseEvent[] = [];
  for (const c of chunks) framer.push(Buffer.from(c), (raw) => void events.push(parseEvent(raw)));
  return events;
}

describe('SseFramer', () => {
  it('splits whole events and keeps their exact bytes', () => {
    const events = frame(['data: {"a":1}\n\ndata: [DONE]\n\n']);
    expect(events.map((e) => e.raw.toString())).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', '[DONE]']);
  });

  it('joins an event split across chunks, even inside the terminator', () => {
    const events = frame(['data: {"a"', ':1}\n', '\ndata: x\r', '\n\r\n', 'data: y\r', '\r']);
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', 'x', 'y']);
    expect(events[1]?.raw.toString()).toBe('data: x\r\n\r\n');
  });

  it('ends an event on a CR blank line at once, keeping a following LF for the next event', () => {
    const framer = new SseFramer(1024);
    const events: SseEvent[] = [];
    framer.push(Buffer.from('data: a\r\r'), (raw) => void events.push(parseEvent(raw)));
    expect(events.map((e) => e.data)).toEqual(['a']);
    framer.push(Buffer.from('\ndata: b\n\n'), (raw) => void events.push(parseEvent(raw)));
    expect(events.map((e) => e.data)).toEqual(['a', 'b']);
    expect(Buffer.concat(events.map((e) => e.raw)).toString()).toBe('data: a\r\r\ndata: b\n\n');
  });

  it('accepts CRLF, CR and LF line endings', () => {
    expect(frame(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']).map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('parses multi-line data, event types and comments as the SSE spec says', () => {
    const [multi, typed, comment] = frame(['data: a\ndata:b\n\nevent: error\ndata: {}\n\n: keep-alive\n\n']);
    expect(multi?.data).toBe('a\nb');
    expect(typed).toMatchObject({ type: 'error', data: '{}' });
    expect(comment?.data).toBeUndefined();
  });

  it('holds an unfinished event and throws once it outgrows the limit', () => {
    const framer = new SseFramer(16);
    framer.push(Buffer.from('data: 0123456'), () => undefined);
    expect(framer.pendingBytes).toBe(13);
    expect(() => framer.push(Buffer.from('789abcdef'), () => undefined)).toThrow(SseEventTooLargeError);
  });

  it('finds no end in an unfinished event', () => {
    expect(findEventEnd(Buffer.from('data: a\n'), 0)).toBe(-1);
    expect(findEventEnd(Buffer.from('data: a\r'), 0)).toBe(-1);
    expect(findEventEnd(Buffer.from('data: a\n\n'), 0)).toBe(9);
  });

  it('parseEvent takes "data:" with or without the space', () => {
    expect(parseEvent(Buffer.from('data:x\n\n')).data).toBe('x');
    expect(parseEvent(Buffer.from('data:  x\n\n')).data).toBe(' x');
  });
});
