// From raw runs to the figures of the report: medians and spreads over the
// repetitions, latency added over `direct` and ratios to `bare`, each paired
// by repetition (runs of one repetition ran side by side), latency pooled
// over the repetitions where the runs kept their histograms, and the bars.

import { Histogram } from '../load/histogram.js';

/** @param {number[]} xs */
export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2
    ? /** @type {number} */ (v[mid])
    : /** @type {number} */ (v[mid - 1] + /** @type {number} */ (v[mid])) / 2;
}

/** Median with the min and max: the spread over repetitions. @param {number[]} xs */
function stat(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  return {
    median: median(v),
    min: v.length ? Math.min(...v) : Number.NaN,
    max: v.length ? Math.max(...v) : Number.NaN,
    n: v.length,
  };
}

/**
 * Pairs each run with the same repetition of another target and applies `f`.
 * @param {any[]} runs @param {any[]} others @param {(a: any, b: any) => number} f
 */
function paired(runs, others, f) {
  /** @type {number[]} */
  const out = [];
  for (const r of runs) {
    const o = others.find((x) => x.rep === r.rep);
    if (o) out.push(f(r, o));
  }
  return stat(out);
}

/**
 * p50 and p99 of every repetition's requests together (one histogram), for
 * runs that kept theirs: a p99 over 4,500 requests instead of three over
 * 1,500, none of them decided by a dozen requests. Undefined when any run
 * lacks its histogram.
 * @param {any[]} runs @param {'latencyHist' | 'ttfbHist'} [field]
 */
export function pooledLatency(runs, field = 'latencyHist') {
  if (runs.length === 0 || runs.some((r) => !r[field])) return undefined;
  const all = new Histogram();
  for (const r of runs) all.add(Histogram.fromJSON(r[field]));
  const ms = (/** @type {number} */ us) => Math.round(us) / 1000;
  return { p50: ms(all.percentile(50)), p99: ms(all.percentile(99)), count: all.count };
}

/**
 * Pooled latency added over `direct`, when both kept their histograms.
 * @param {any[]} mine @param {any[]} direct @param {'latencyHist' | 'ttfbHist'} [field]
 */
function pooledAdded(mine, direct, field = 'latencyHist') {
  const a = pooledLatency(mine, field);
  const b = pooledLatency(direct, field);
  if (!a || !b) return undefined;
  return { p50: a.p50 - b.p50, p99: a.p99 - b.p99, p99Target: a.p99, p99Direct: b.p99, requests: a.count };
}

/**
 * @param {any[]} runs raw rows from measure()
 * @param {string[]} scenarioIds in order
 * @param {string[]} targetNames in order
 * @param {Set<string>} [streams] ids of the scenarios that stream
 */
export function summarize(runs, scenarioIds, targetNames, streams = new Set()) {
  const rows = [];
  for (const scenario of scenarioIds) {
    const of = (/** @type {string} */ t) => runs.filter((r) => r.scenario === scenario && r.target === t);
    const direct = of('direct');
    const bare = of('bare');
    const sheepdog = of('sheepdog');
    for (const target of targetNames) {
      const mine = of(target);
      if (mine.length === 0) continue;
      // Time to first byte only means something for streams (a JSON answer's first byte is nearly its last).
      const hasTtfb = streams.has(scenario) && mine.some((r) => r.ttfbMs);
      rows.push({
        scenario,
        target,
        tool: mine[0].tool,
        reps: mine.length,
        rps: stat(mine.map((r) => r.rps)),
        p50: stat(mine.map((r) => r.latencyMs.p50)),
        p99: stat(mine.map((r) => r.latencyMs.p99)),
        addedP50:
          target === 'direct' ? undefined : paired(mine, direct, (a, b) => a.latencyMs.p50 - b.latencyMs.p50),
        addedP99:
          target === 'direct' ? undefined : paired(mine, direct, (a, b) => a.latencyMs.p99 - b.latencyMs.p99),
        addedPooled: target === 'direct' ? undefined : pooledAdded(mine, direct),
        ttfbP50: hasTtfb ? stat(mine.map((r) => r.ttfbMs?.p50)) : undefined,
        addedTtfbP50:
          hasTtfb && target !== 'direct'
            ? paired(mine, direct, (a, b) => a.ttfbMs.p50 - b.ttfbMs.p50)
            : undefined,
        addedTtfbP99:
          hasTtfb && target !== 'direct'
            ? paired(mine, direct, (a, b) => a.ttfbMs.p99 - b.ttfbMs.p99)
            : undefined,
        cpuSPer1k: stat(mine.map((r) => r.relayCpuSPer1k)),
        // The target's own GC time (lib/gc-scrape.js), when it exports it.
        gcMinorMsPer1k: mine.some((r) => r.gcMsPer1k) ? stat(mine.map((r) => r.gcMsPer1k?.minor)) : undefined,
        gcMajorMsPer1k: mine.some((r) => r.gcMsPer1k) ? stat(mine.map((r) => r.gcMsPer1k?.major)) : undefined,
        relayUtil: stat(mine.map((r) => r.relayUtil)),
        peakRssMb: stat(mine.map((r) => r.peakRssMb)),
        errors: mine.reduce((a, r) => a + r.errorCount, 0),
        otherLoad: stat(mine.map((r) => r.otherLoadOnRelayCore)),
        requests: mine.reduce((a, r) => a + r.requests, 0),
        rpsVsBare:
          bare.length && target !== 'direct' ? paired(mine, bare, (a, b) => a.rps / b.rps) : undefined,
        // A candidate build against the current one, repetition by repetition: what a change buys.
        candidateVsSheepdog:
          target === 'candidate' && sheepdog.length
            ? {
                rps: paired(mine, sheepdog, (a, b) => a.rps / b.rps - 1),
                cpuPerRequest: paired(mine, sheepdog, (a, b) => a.relayCpuSPer1k / b.relayCpuSPer1k - 1),
              }
            : undefined,
        cpuVsBare:
          bare.length && target !== 'direct'
            ? paired(mine, bare, (a, b) => b.relayCpuSPer1k / a.relayCpuSPer1k)
            : undefined,
      });
    }
  }
  return rows;
}

/**
 * The bar, checked against this run.
 * @param {any[]} summary rows from summarize()
 * @param {any[]} memory rows from measureOpenStreams()
 */
export function checkBars(summary, memory) {
  const row = (/** @type {string} */ s, /** @type {string} */ t) =>
    summary.find((r) => r.scenario === s && r.target === t);
  /** @type {Array<{ bar: string, target: string, value: string, pass: boolean | undefined, detail: string }>} */
  const bars = [];
  for (const [target, floor] of /** @type {const} */ ([
    ['sheepdog', 0.85],
    ['sheepdog-nometrics', 0.95],
  ])) {
    const json = row('json-max', target);
    const sse = row('sse20-max', target);
    if (!json?.rpsVsBare || !sse?.rpsVsBare) {
      bars.push({
        bar: `throughput ≥ ${floor * 100}% of bare`,
        target,
        value: 'pending',
        pass: undefined,
        detail: 'target not run',
      });
      continue;
    }
    // A real chat's context (json-ctx-max) counts too, when it ran (older result files lack it).
    const ctx = row('json-ctx-max', target);
    const parts = [
      ['JSON', json],
      ...(ctx?.rpsVsBare ? [['JSON with 16 KB context', ctx]] : []),
      ['SSE-20', sse],
    ];
    const worst = Math.min(...parts.map(([, r]) => r.rpsVsBare.median));
    const cpuWorst = Math.min(...parts.map(([, r]) => r.cpuVsBare.median));
    bars.push({
      bar: `throughput ≥ ${floor * 100}% of bare`,
      target,
      value: `${pct(worst)} req/s (${pct(cpuWorst)} per CPU-second)`,
      pass: worst >= floor && cpuWorst >= floor,
      detail: parts
        .map(([name, r]) => `${name} ${pct(r.rpsVsBare.median)} req/s, ${pct(r.cpuVsBare.median)} per CPU-s`)
        .join('; '),
    });
  }
  for (const [scenario, limitMs] of /** @type {const} */ ([
    ['json-500', 1],
    ['json-2000', 2],
  ])) {
    const r = row(scenario, 'sheepdog');
    if (!r?.addedP99) continue;
    const pooled = r.addedPooled;
    if (pooled) {
      // Interleaved runs (relay and `direct` loaded slot by slot on one schedule, so a stall of the
      // machine falls on both) keep their histograms: judged on the p99 of all repetitions' requests.
      // Unless the machine's own tail (`direct` alone) is several times the bar: a difference of two
      // tails made of the host's stalls says nothing about the relay.
      const resolvable = pooled.p99Direct <= UNRESOLVABLE_FACTOR * limitMs;
      const floor = row(scenario, 'bare')?.addedPooled;
      bars.push({
        bar: `added p99 at ${scenario.slice(5)} req/s < ${limitMs} ms`,
        target: 'sheepdog',
        value: resolvable
          ? `${ms(pooled.p99)} ms (p99 of ${pooled.requests} requests over ${r.reps} repetitions)`
          : `unresolved: direct's own p99 is ${ms(pooled.p99Direct)} ms`,
        pass: resolvable ? pooled.p99 < limitMs : undefined,
        detail:
          `p99 ${ms(pooled.p99Target)} against direct's ${ms(pooled.p99Direct)} ms` +
          (floor ? `; bare adds ${ms(floor.p99)} ms` : '') +
          `; per repetition ${ms(r.addedP99.min)} to ${ms(r.addedP99.max)} ms; added p50 ${ms(pooled.p50)} ms`,
      });
      continue;
    }
    // Older result files (targets run one after another): judged on the worst repetition, since on a
    // noisy machine `direct` can stall more than the relay in one repetition, and a median of such
    // differences can pass (even below zero) while the relay missed.
    bars.push({
      bar: `added p99 at ${scenario.slice(5)} req/s < ${limitMs} ms`,
      target: 'sheepdog',
      value: `${ms(r.addedP99.max)} ms worst (median ${ms(r.addedP99.median)})`,
      pass: r.addedP99.max < limitMs,
      detail: `spread ${ms(r.addedP99.min)} to ${ms(r.addedP99.max)} ms; added p50 ${ms(r.addedP50.median)} ms`,
    });
  }
  const m = memory.find((x) => x.target === 'sheepdog');
  if (m) {
    bars.push({
      bar: `${m.concurrency} open streams < 300 MB RSS`,
      target: 'sheepdog',
      value: `${m.peakMb.toFixed(0)} MB peak`,
      pass: m.peakMb < 300 && m.openAtEnd >= m.concurrency * 0.99,
      detail: `${m.openAtEnd} open at the end; ${m.perStreamKb?.toFixed(1)} KB per stream`,
    });
    // Judged on the trend between the hold's second and last quarters (older result files: end minus start).
    const trend = m.trendMb ?? m.growthMb;
    const grew = trend > Math.max(5, 0.05 * m.settledMb);
    const signed = (/** @type {number} */ x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    bars.push({
      bar: 'no RSS growth while streams grow (soak)',
      target: 'sheepdog',
      value: `${signed(trend)} MB trend over ${m.holdS} s`,
      pass: !grew,
      detail: `each stream grew by ~${m.chunksPerStreamDuringHold} chunks; end minus start ${signed(m.growthMb)} MB; slope ${m.slopeMbPerMin.toFixed(1)} MB/min`,
    });
  }
  return bars;
}

/** `direct`'s own p99 above this many times a latency bar: the machine, not the relay, makes the tail. */
const UNRESOLVABLE_FACTOR = 5;

const pct = (/** @type {number} */ x) => `${(100 * x).toFixed(0)}%`;
const ms = (/** @type {number} */ x) => x.toFixed(3);
