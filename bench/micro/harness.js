// A small, dependency-free micro-benchmark loop: warm up, then time batches
// until enough time has passed, and report the median batch in ns/op. Every
// case imports the built dist/ files, so it measures what runs in production.

/**
 * @typedef {object} Case
 * @property {string} name
 * @property {() => unknown} fn        one operation; its result is kept so it cannot be optimised away
 * @property {number} [perOp]          units per call (e.g. events per chunk), to report ns per unit
 * @property {string} [unit]
 */

let sink;

/**
 * @param {Case} c
 * @param {{ minMs?: number, batches?: number, warmMs?: number }} [o]
 */
export function run(c, o = {}) {
  const minMs = o.minMs ?? 300;
  const batches = o.batches ?? 7;
  // Warm up first, long enough for V8 to optimise what the case calls (a whole
  // request's events took ~40,000 calls and ~100 ms to get there).
  const warmUntil = performance.now() + (o.warmMs ?? 200);
  while (performance.now() < warmUntil) for (let i = 0; i < 100; i++) sink = c.fn();
  // Size a batch to about minMs / batches.
  let n = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = c.fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (ms >= minMs / batches / 2) break;
    n *= 2;
  }
  /** @type {number[]} */
  const times = [];
  for (let b = 0; b < batches; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = c.fn();
    times.push(Number(process.hrtime.bigint() - t) / n);
  }
  times.sort((a, b) => a - b);
  const nsPerOp = /** @type {number} */ (times[Math.floor(times.length / 2)]);
  return {
    name: c.name,
    nsPerOp,
    nsPerUnit: c.perOp ? nsPerOp / c.perOp : undefined,
    unit: c.unit,
    spreadPct:
      (100 * /** @type {number} */ (times[times.length - 1] - /** @type {number} */ (times[0]))) /
      2 /
      nsPerOp,
    keep: typeof sink,
  };
}
