// Differential test: the framer must read any chunking of an SSE stream the
// way eventsource-parser (the reference parser of the field) reads it, and
// re-emit exactly the bytes it was given.

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/helpers/prng.js';
import { lastEventEndAtOrBefore, parseEvent, type SseEvent, SseFramer } from './sse-framer.js';

const EOLS = ['\n', '\r\n', '\r'];

function randomStream(random: () => number, longLines = false): string {
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
      const pad = longLines && random() < 0.3 ? 'x'.repeat(Math.floor(random() * 3000)) : '';
      const text = JSON.stringify({ i: e, l, s: 'ünïcødé 🐑'.slice(0, Math.floor(random() * 10)), pad });
      out += `data:${random() < 0.8 ? ' ' : ''}${text}${eol}`;
    }
    out += eol;
  }
  return out;
}

/** Splits bytes at random points, including inside multi-byte characters and line endings. */
function randomChunks(bytes: Buffer, random: () => number, maxSize = 40): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * maxSize);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Frames `text` cut into random chunks and checks it against the reference parser, byte for byte. */
function agreesWithReference(seed: number, longLines: boolean, maxChunk: number): void {
  const random = mulberry32(seed);
  const text = randomStream(random, longLines);
  const bytes = Buffer.from(text);
  const expected: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => expected.push(event) });
  // A trailing CR blank line is ambiguous until the next byte (it may start a CRLF): the
  // reference waits, Sheepdog dispatches at once. One more LF settles it for the reference.
  parser.feed(text.endsWith('\r') ? `${text}\n` : text);
  const framer = new SseFramer(1 << 20);
  const got: SseEvent[] = [];
  for (const chunk of randomChunks(bytes, random, maxChunk))
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

describe('SseFramer against eventsource-parser', () => {
  it('agrees on 2,000 random streams cut at random points, and keeps every byte', () => {
    for (let seed = 1; seed <= 2_000; seed++) agreesWithReference(seed, false, 40);
  });

  it('agrees when long events straddle large reads (the straddling event is joined on its own)', () => {
    for (let seed = 1; seed <= 500; seed++) agreesWithReference(seed, true, 5_000);
  });
});

describe('lastEventEndAtOrBefore', () => {
  /** The definition: the end of the last blank line (LF LF or CRLF CRLF) at or before `pos`. */
  const bySearch = (buf: Buffer, pos: number): number => {
    if (pos < 2) return 0;
    const lf = buf.lastIndexOf('\n\n', pos - 2);
    const crlf = pos < 4 ? -1 : buf.lastIndexOf('\r\n\r\n', pos - 4);
    return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4);
  };

  it('agrees with a plain search at every position of random streams, line-ending shortcuts included', () => {
    const random = mulberry32(11);
    for (let n = 0; n < 200; n++) {
      const bytes = Buffer.from(randomStream(random));
      for (let pos = 0; pos <= bytes.length; pos++)
        expect(lastEventEndAtOrBefore(bytes, pos), `stream ${n} at ${pos}`).toBe(bySearch(bytes, pos));
    }
  });
});
