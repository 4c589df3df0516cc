// The memory step: thousands of streams held open through one target while
// the simulator paces their chunks, with the relay's RSS sampled each second.
// Every stream grows by one chunk per pause, so RSS that climbs during the hold
// is memory that grows with a stream's length (or with time: a leak).

import { Histogram } from '../load/histogram.js';
import { requestFor } from './measure.js';
import { cpuSeconds, memoryMb, resetPeak } from './proc-stats.js';

/**
 * Mean RSS of the last quarter of the hold minus that of its second quarter:
 * a leak shows as a steady rise between them, while the saw-tooth of garbage
 * and major collections (up for a minute, down by 20 MB) mostly cancels out,
 * which an end-minus-start difference does not.
 * @param {number[]} values
 */
function quarterTrend(values) {
  const q = Math.floor(values.length / 4);
  if (q === 0) return values.length > 1 ? values[values.length - 1] - values[0] : 0;
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(values.slice(values.length - q)) - mean(values.slice(q, 2 * q));
}

/**
 * Least-squares slope of y over x.
 * @param {Array<[number, number]>} points
 */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * @param {import('./measure.js').Bench} bench
 * @param {import('./targets.js').Target} target
 * @param {{ concurrency: number, rampMs: number, holdS: number, chunkDelayMs: number }} o
 */
export async function measureOpenStreams(bench, target, o) {
  const pid = /** @type {number} */ (target.pid);
  const baselineMb = memoryMb(pid).rssMb;
  resetPeak(pid);
  const request = requestFor(target, { stream: true, chunks: 1000 });
  /** @type {Array<{ t: number, rssMb: number, open: number }>} */
  const samples = [];
  let rampedAt = 0;
  let cpu0 = 0;
  const t0 = Date.now();
  const result = await bench.driver.run(
    'hold',
    { request, concurrency: o.concurrency, rampMs: o.rampMs, holdMs: o.holdS * 1000 },
    (mark, detail) => {
      if (mark === 'measure-end') return;
      const t = (Date.now() - t0) / 1000;
      if (mark === 'ramped') {
        rampedAt = t;
        cpu0 = cpuSeconds(pid);
      }
      samples.push({ t, rssMb: memoryMb(pid).rssMb, open: detail.connected ?? detail.open ?? 0 });
    },
  );
  const holdCpuS = cpuSeconds(pid) - cpu0;
  const peakMb = memoryMb(pid).hwmMb;
  // Judge growth from 2 s after the ramp, once connections and buffers have settled.
  const settled = samples.filter((s) => s.t >= rampedAt + 2);
  const first = settled[0] ?? samples[samples.length - 1];
  const last = samples[samples.length - 1];
  const chunksPerStream = Math.floor(((last?.t ?? 0) - (first?.t ?? 0)) * (1000 / o.chunkDelayMs));
  return {
    scenario: 'streams-2000',
    target: target.name,
    concurrency: o.concurrency,
    holdS: o.holdS,
    chunkDelayMs: o.chunkDelayMs,
    openAtEnd: result.openAtEnd,
    // Time to first byte of every stream opened (ramp included), ms.
    ttfbMs: Histogram.fromJSON(result.ttfb).summary(),
    errors: result.tally.errors,
    baselineMb,
    settledMb: first?.rssMb,
    endMb: last?.rssMb,
    peakMb,
    growthMb: (last?.rssMb ?? 0) - (first?.rssMb ?? 0),
    trendMb: quarterTrend(settled.map((s) => s.rssMb)),
    slopeMbPerMin: 60 * slope(settled.map((s) => [s.t, s.rssMb])),
    perStreamKb: first ? ((first.rssMb - baselineMb) * 1024) / o.concurrency : undefined,
    chunksPerStreamDuringHold: chunksPerStream,
    holdCpuPercent: (100 * holdCpuS) / o.holdS,
    samples: samples.map((s) => ({
      t: Math.round(s.t * 10) / 10,
      rssMb: Math.round(s.rssMb * 10) / 10,
      open: s.open,
    })),
  };
}
