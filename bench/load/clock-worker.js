// The open-loop schedule's clock. setTimeout wakes the main thread up to a
// millisecond late; Atomics.wait in a worker sleeps to within tens of
// microseconds, so requests leave close to their scheduled time and the
// latency measured from that time is the target's, not the timer's.

import { parentPort, workerData } from 'node:worker_threads';

const { startEpochMs, intervalMs, count } = workerData;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const epochNow = () => performance.timeOrigin + performance.now();

for (let i = 0; i < count; ) {
  const wait = startEpochMs + i * intervalMs - epochNow();
  if (wait > 0.02) Atomics.wait(sleeper, 0, 0, wait);
  // Every request due by now leaves in one batch.
  const due = Math.min(count - 1, Math.floor((epochNow() - startEpochMs) / intervalMs));
  i = Math.max(i, due) + 1;
  parentPort?.postMessage(i);
}
