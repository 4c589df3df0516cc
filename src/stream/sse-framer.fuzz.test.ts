// Differential test: the framer must read any chunking of an SSE stream the
// way eventsource-parser (the reference parser of the field) reads it, and
// re-emit exactly the bytes it was given.

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { parseEvent, type SseEvent, SseFramer } from './sse-framer.js';

/** A deterministic PRNG so a failure can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EOLS = ['\n', '\r\n', '\r'];

function randomStream(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let out = '';
  const events = 1 + Math.floor(random() * 12);
  for (let e = 0; e < events; e++) {
    const eol = pick(EOLS);
    const kind = random();
    if (kind < 0.1) out += `: keep-alive${eol}`;
    if (kind > 0.8) out += `event: ${pick(['error', 'message', 'ping'])}${eol}`;
    const lines = 1 + Math.floor(random() * 3);
    for (let l = 0; l < lines; l++) {
      const text = JSON.stringify({ i: e, l, s: 'ünïcødé 🐑'.slice(0, Math.floor(random() * 10)) });
      out += `data:${random() < 0.8 ? ' ' : ''}${text}${eol}`;
    }
    out += eol;
  }
  return out;
}

/** Splits bytes at random points, including inside multi-byte characters and line endings. */
function randomChunks(bytes: Buffer, random: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 40);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe('SseFramer against eventsource-parser', () => {
  it('agrees on 2,000 random streams cut at random points, and keeps every byte', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const random = mulberry32(seed);
      const text = randomStream(random);
      const bytes = Buffer.from(text);
      const expected: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => expected.push(event) });
      // A trailing CR blank line is ambiguous until the next byte (it may start a CRLF): the
      // reference waits, Sheepdog dispatches at once. One more LF settles it for the reference.
      parser.feed(text.endsWith('\r') ? `${text}\n` : text);
      const framer = new SseFramer(1 << 20);
      const got: SseEvent[] = [];
      for (const chunk of randomChunks(bytes, random))
        framer.push(chunk, (raw) => void got.push(parseEvent(raw)));
      // eventsource-parser reports data events only; comments carry no data.
      const withData = got.filter((e) => e.data !== undefined);
      expect(
        withData.map((e) => ({ event: e.type, data: e.data })),
        `seed ${seed}`,
      ).toEqual(expected.map((e) => ({ event: e.event, data: e.data })));
      const rest = framer.flush() ?? Buffer.alloc(0);
      expect(rest.toString(), `seed ${seed}: only line breaks may be left over`).toMatch(/^[\r\n]*$/);
      expect(Buffer.concat([...got.map((e) => e.raw), rest]).toString(), `seed ${seed}`).toBe(text);
    }
  });
});
