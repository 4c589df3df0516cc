// One measured step: one scenario against one target (or, for the fixed-rate
// scenarios, against several targets interleaved on one schedule), with each
// relay's CPU time and peak memory read from /proc around exactly the
// measured part.

import { Histogram } from '../load/histogram.js';
import { coreBusySeconds, cpuSeconds, memoryMb, resetPeak } from './proc-stats.js';
import { requestBody } from './scenarios.js';
import { runWrk } from './wrk.js';

/**
 * @typedef {import('./targets.js').Target} Target
 * @typedef {import('./scenarios.js').Scenario} Scenario
 * @typedef {{ run: (kind: 'rate' | 'closed' | 'hold', job: object, onMark?: (mark: string, detail: Record<string, number>) => void) => Promise<any>, pid: number }} Driver
 * @typedef {{ driver: Driver, simPid: number, useWrk: boolean, relayCore: number | undefined, loadCore: number | undefined, tmpDir: string, scale: number }} Bench
 */

const CHAT_PATH = '/v1/chat/completions';

/** Slot length of an interleaved step: long enough to hold ~50-200 requests, short beside a host's stall bursts. */
export const INTERLEAVE_SLOT_MS = 10;

/** @param {Target} target @param {Scenario} scenario */
export function requestFor(target, scenario) {
  return {
    origin: target.origin,
    path: CHAT_PATH,
    headers: ['content-type', 'application/json', ...target.headers],
    body: requestBody(scenario),
    stream: scenario.stream,
  };
}

/**
 * CPU seconds of the relay (if any), of the simulator and of the relay's core
 * as a whole (whatever else ran there is noise), sampled together.
 * @param {Target} target @param {Bench} bench
 */
function cpuOf(target, bench) {
  return {
    relay: target.pid ? cpuSeconds(target.pid) : 0,
    sim: cpuSeconds(bench.simPid),
    core: coreBusySeconds(bench.relayCore),
  };
}

/** @param {Record<string, number>} errors */
const errorTotal = (errors) => Object.values(errors).reduce((a, b) => a + b, 0);

/**
 * @param {Bench} bench
 * @param {Target} target
 * @param {Scenario} scenario
 * @param {number} rep
 */
export async function measure(bench, target, scenario, rep) {
  const request = requestFor(target, scenario);
  const durationMs = Math.round(scenario.durationMs * bench.scale);
  const warmupMs = Math.round(scenario.warmupMs * bench.scale);
  if (target.pid) resetPeak(target.pid);
  /** @type {{ relay: number, sim: number, core: number }} */
  let before = { relay: 0, sim: 0, core: 0 };
  /** @type {{ relay: number, sim: number, core: number }} */
  let after = { relay: 0, sim: 0, core: 0 };
  /** @type {Record<string, unknown>} */
  let row;
  if (scenario.kind === 'closed' && bench.useWrk) {
    const wrkRun = {
      url: `${target.origin}${CHAT_PATH}`,
      body: request.body,
      headers: request.headers,
      concurrency: /** @type {number} */ (scenario.concurrency),
      core: bench.loadCore,
      tmpDir: bench.tmpDir,
    };
    // wrk counts whole seconds: warm up with the driver instead, at the same concurrency.
    await bench.driver.run('closed', {
      request,
      concurrency: scenario.concurrency,
      warmupMs: 0,
      durationMs: warmupMs,
    });
    const w = await runWrk({ ...wrkRun, durationS: Math.max(1, Math.round(durationMs / 1000)) }, () => {
      before = cpuOf(target, bench);
    });
    after = cpuOf(target, bench);
    const elapsedS = w.duration_us / 1e6;
    const errors = Object.fromEntries(Object.entries(w.errors).filter(([, n]) => n > 0));
    const ok = w.requests - (w.errors.status ?? 0);
    const ms = (/** @type {number} */ us) => Math.round(us) / 1000;
    row = {
      tool: 'wrk',
      requests: ok,
      errors,
      rps: ok / elapsedS,
      elapsedS,
      latencyMs: Object.fromEntries(Object.entries(w.latency_us).map(([k, v]) => [k, ms(v)])),
      ttfbMs: undefined,
    };
  } else {
    const job =
      scenario.kind === 'rate'
        ? { request, rate: scenario.rate, warmupMs, durationMs, connections: 512, drainMs: 5000 }
        : { request, concurrency: scenario.concurrency, warmupMs, durationMs };
    const r = await bench.driver.run(scenario.kind, job, (mark) => {
      if (mark === 'measure-start') before = cpuOf(target, bench);
      else if (mark === 'measure-end') after = cpuOf(target, bench);
    });
    row = {
      tool: 'driver',
      requests: r.tally.ok,
      errors: r.tally.errors,
      rps: r.rps,
      elapsedS: r.elapsedS,
      latencyMs: Histogram.fromJSON(r.latency).summary(),
      ttfbMs: Histogram.fromJSON(r.ttfb).summary(),
      latenessMs: r.lateness ? Histogram.fromJSON(r.lateness).summary() : undefined,
    };
  }
  const requests = /** @type {number} */ (row.requests);
  const relayCpuS = after.relay - before.relay;
  return {
    scenario: scenario.id,
    target: target.name,
    rep,
    ...row,
    errorCount: errorTotal(/** @type {Record<string, number>} */ (row.errors)),
    relayCpuS,
    relayCpuSPer1k: target.pid && requests > 0 ? (1000 * relayCpuS) / requests : undefined,
    relayUtil: target.pid ? relayCpuS / /** @type {number} */ (row.elapsedS) : undefined,
    simCpuSPer1k: requests > 0 ? (1000 * (after.sim - before.sim)) / requests : undefined,
    peakRssMb: target.pid ? memoryMb(target.pid).hwmMb : undefined,
    // Busy time on the relay's core not spent by the relay: other processes, interrupts. High means noisy.
    otherLoadOnRelayCore: Math.max(
      0,
      (after.core - before.core - relayCpuS) / /** @type {number} */ (row.elapsedS),
    ),
  };
}

/**
 * A fixed-rate scenario against several targets at once, interleaved slot by
 * slot on one open-loop schedule (see runRate in load/driver.js): the
 * machine's stalls fall on every target alike, so the added latency of one
 * over `direct` is its own. One row per target, as `measure` gives.
 * @param {Bench} bench
 * @param {Target[]} targets
 * @param {Scenario} scenario
 * @param {number} rep
 */
export async function measureInterleaved(bench, targets, scenario, rep) {
  if (scenario.kind !== 'rate') throw new Error(`${scenario.id}: only fixed-rate scenarios interleave`);
  const durationMs = Math.round(scenario.durationMs * bench.scale);
  const warmupMs = Math.round(scenario.warmupMs * bench.scale);
  for (const t of targets) if (t.pid) resetPeak(t.pid);
  const sample = () => ({ cpu: targets.map((t) => cpuOf(t, bench)), core: coreBusySeconds(bench.relayCore) });
  let before = sample();
  let after = before;
  const results = await bench.driver.run(
    'rate',
    {
      requests: targets.map((t) => requestFor(t, scenario)),
      slotMs: INTERLEAVE_SLOT_MS,
      rate: scenario.rate,
      warmupMs,
      durationMs,
      connections: 512,
      drainMs: 5000,
    },
    (mark) => {
      if (mark === 'measure-start') before = sample();
      else if (mark === 'measure-end') after = sample();
    },
  );
  const windowS = /** @type {number} */ (results[0]?.windowS ?? 1);
  let relaysCpuS = 0;
  targets.forEach((_, i) => {
    relaysCpuS += (after.cpu[i]?.relay ?? 0) - (before.cpu[i]?.relay ?? 0);
  });
  // Busy time on the relay core that no target of this step spent (the relays share it, one slot at a time).
  const otherLoad = Math.max(0, (after.core - before.core - relaysCpuS) / windowS);
  return targets.map((target, i) => {
    const r = results[i];
    const relayCpuS = (after.cpu[i]?.relay ?? 0) - (before.cpu[i]?.relay ?? 0);
    const requests = r.tally.ok;
    return {
      scenario: scenario.id,
      target: target.name,
      rep,
      tool: 'driver',
      interleaved: targets.map((t) => t.name),
      requests,
      errors: r.tally.errors,
      rps: r.rps,
      elapsedS: r.elapsedS,
      latencyMs: Histogram.fromJSON(r.latency).summary(),
      ttfbMs: Histogram.fromJSON(r.ttfb).summary(),
      latenessMs: Histogram.fromJSON(r.lateness).summary(),
      // Kept whole so the report can pool the repetitions (see pooledLatency in aggregate.js).
      latencyHist: r.latency,
      ttfbHist: r.ttfb,
      errorCount: errorTotal(r.tally.errors),
      relayCpuS,
      relayCpuSPer1k: target.pid && requests > 0 ? (1000 * relayCpuS) / requests : undefined,
      relayUtil: target.pid ? relayCpuS / r.elapsedS : undefined,
      simCpuSPer1k: undefined,
      peakRssMb: target.pid ? memoryMb(target.pid).hwmMb : undefined,
      otherLoadOnRelayCore: otherLoad,
    };
  });
}
