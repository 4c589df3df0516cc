// src/stream/sse-framer.ts: splitting upstream bytes into events.

import { CONTENT_EVENT, chatStreamEvents, dist } from '../fixtures.js';

const { SseFramer } = await dist('stream/sse-framer.js');
const framer = new SseFramer(1024 * 1024);
const noop = () => {};
const whole20 = Buffer.from(chatStreamEvents(20).join(''));
const events20 = chatStreamEvents(20).length;
// The same bytes cut at arbitrary places (an event straddles each cut).
const split = [whole20.subarray(0, 700), whole20.subarray(700, 1500), whole20.subarray(1500)];

/** @type {import('../harness.js').Case[]} */
export const cases = [
  { name: 'one whole event per chunk', fn: () => framer.push(CONTENT_EVENT, noop), perOp: 1, unit: 'event' },
  {
    name: '20-chunk stream in one buffer',
    fn: () => framer.push(whole20, noop),
    perOp: events20,
    unit: 'event',
  },
  {
    name: '20-chunk stream cut mid-event, 3 buffers',
    fn: () => {
      for (const b of split) framer.push(b, noop);
    },
    perOp: events20,
    unit: 'event',
  },
];
