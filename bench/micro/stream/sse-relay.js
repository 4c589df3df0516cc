// src/stream/sse-relay.ts: framing + accounting + relaying, per event and per
// stream, with a client that always accepts (no backpressure). The relay may
// rewrite a read in place (the `"usage":null` removal), as it may a socket's,
// so each push gets a fresh copy of its fixture (~50 ns an event included).

import { chatStreamEvents, dist } from '../fixtures.js';

const { SseRelay } = await dist('stream/sse-relay.js');
const { ChunkAccountant } = await dist('stream/chunk-accountant.js');

/** A relay with everything the attempt gives it, writing nowhere. */
function relay() {
  return new SseRelay({
    accountant: new ChunkAccountant('chat/completions'),
    maxEventBytes: 1024 * 1024,
    dropUsageOnly: true,
    commit: () => true,
    write: () => true,
    writeMany: () => true,
    onFirstToken: () => {},
  });
}

/** @param {number} tokens @param {boolean} oneBuffer */
function streamCase(tokens, oneBuffer) {
  const events = chatStreamEvents(tokens).map((e) => Buffer.from(e));
  const whole = Buffer.concat(events);
  return () => {
    const r = relay();
    if (oneBuffer) r.push(Buffer.from(whole));
    else for (const e of events) r.push(Buffer.from(e));
    return r.end();
  };
}

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: '20-chunk stream, one event per upstream read',
    fn: streamCase(20, false),
    perOp: 24,
    unit: 'event',
  },
  { name: '20-chunk stream, all in one upstream read', fn: streamCase(20, true), perOp: 24, unit: 'event' },
  { name: '1,000-chunk stream, one event per read', fn: streamCase(1000, false), perOp: 1004, unit: 'event' },
];
