// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the
// most self time (or inclusive time), so a profile can be read in a terminal
// and quoted in docs/benchmarks.md.
//
// Usage: node bench/lib/cpuprofile-top.js FILE.cpuprofile [N] [--inclusive | --by-folder]

import { readFileSync } from 'node:fs';

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }} ProfileNode
 * @typedef {{ fn: string, where: string, ms: number, pct: number }} Row
 */

/** @param {ProfileNode['callFrame']} frame */
function keyOf(frame) {
  const fn = frame.functionName || '(anonymous)';
  const url = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist|bench)\//, '$1/');
  return { fn, where: url ? `${url}:${frame.lineNumber + 1}` : '' };
}

/** @param {ProfileNode['callFrame']} frame */
function folderOf(frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return { fn: frame.functionName.startsWith('(') ? frame.functionName : '(native)', where: '' };
  if (url.startsWith('node:')) return { fn: 'node: internals', where: '' };
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return { fn: `node_modules/${pkg[1]}`, where: '' };
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return { fn: `dist/${dist[1]}`, where: '' };
  return { fn: url.split('/').slice(-2, -1)[0] ?? url, where: '' };
}

/**
 * Self time (or, with `inclusive`, time spent in a function and everything it
 * called, counted once per sample even when the function recurses) per function.
 * @param {string} file
 * With `byFolder`, self time is summed per folder (dist/metrics, node_modules/pino, node: internals...).
 * @param {{ limit?: number, inclusive?: boolean, byFolder?: boolean }} [options]
 * @returns {{ totalMs: number, idleMs: number, rows: Row[] }}
 */
export function profileTop(file, options = {}) {
  const { limit = 25, inclusive = false, byFolder = false } = options;
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  /** @type {Map<number, ProfileNode>} */
  const nodes = new Map(profile.nodes.map((/** @type {ProfileNode} */ n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of nodes.values()) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, number>} microseconds of samples whose leaf is the node */
  const selfUs = new Map();
  profile.samples.forEach((/** @type {number} */ id, /** @type {number} */ i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  /** @type {Map<string, { fn: string, where: string, us: number }>} */
  const byFn = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [leaf, us] of selfUs) {
    totalUs += us;
    const leafFrame = nodes.get(leaf)?.callFrame;
    if (leafFrame?.functionName === '(idle)') idleUs += us;
    const seen = new Set();
    for (let id = leaf; id !== undefined; id = inclusive ? parent.get(id) : undefined) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) break;
      const { fn, where } = byFolder ? folderOf(frame) : keyOf(frame);
      const key = `${fn} ${where}`;
      if (!seen.has(key)) {
        seen.add(key);
        const row = byFn.get(key) ?? { fn, where, us: 0 };
        row.us += us;
        byFn.set(key, row);
      }
    }
  }
  const rows = [...byFn.values()]
    .filter((r) => !(inclusive && r.fn === '(root)'))
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((r) => ({
      fn: r.fn,
      where: r.where,
      ms: r.us / 1000,
      pct: totalUs > 0 ? (100 * r.us) / totalUs : 0,
    }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args.find((a) => a.endsWith('.cpuprofile'));
  if (!file) {
    process.stderr.write('usage: node bench/lib/cpuprofile-top.js FILE.cpuprofile [N] [--inclusive]\n');
    process.exit(2);
  }
  const limit = Number(args.find((a) => /^\d+$/.test(a)) ?? 25);
  const { totalMs, idleMs, rows } = profileTop(file, {
    limit,
    inclusive: args.includes('--inclusive'),
    byFolder: args.includes('--by-folder'),
  });
  process.stdout.write(`sampled ${totalMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms\n`);
  for (const r of rows)
    process.stdout.write(
      `${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.fn}  ${r.where}\n`,
    );
}
