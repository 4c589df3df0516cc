// Command-line flags of `npm run bench -- ...`.

import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OPEN_STREAMS, SCENARIOS } from './scenarios.js';

export const ALL_TARGETS = ['direct', 'bare', 'sheepdog', 'sheepdog-nometrics', 'portkey'];
/** Targets only run when asked for. */
const EXTRA_TARGETS = ['candidate'];

export const USAGE = `npm run bench -- [options]

  --targets LIST     comma-separated, from ${ALL_TARGETS.join(',')} (default: all; portkey when installed)
  --candidate DIST   also run \`candidate\`: sheepdog's config from another build's dist/ folder (A/B a change)
  --scenarios LIST   from ${[...SCENARIOS.map((s) => s.id), OPEN_STREAMS.id].join(',')} (default: all)
  --reps N           repetitions of each step, targets alternated (default 3)
  --scale X          stretch every duration by X (default 1)
  --soak S           seconds the 2,000 streams stay open through sheepdog (default ${OPEN_STREAMS.defaultHoldS}; 300 for the 5-minute soak)
  --quick            1 repetition, half durations, 5 s hold: a smoke test of the bench itself
  --node-driver      use the Node driver for fixed-concurrency steps even when wrk is installed
  --no-micro         skip the micro-benchmarks (bench/micro) at the end
  --keep-logs        keep the targets' logs and configs (their folder is printed at the start)
  --no-docs          do not rewrite the generated part of docs/benchmarks.md
  --relay-core N     core for the relays (default 0); --load-core N for simulator and load (default 1)
  --help`;

export function parseOptions(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string' },
      candidate: { type: 'string' },
      scenarios: { type: 'string' },
      reps: { type: 'string', default: '3' },
      scale: { type: 'string', default: '1' },
      soak: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'node-driver': { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
      'no-micro': { type: 'boolean', default: false },
      'relay-core': { type: 'string', default: '0' },
      'load-core': { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  const list = (/** @type {string | undefined} */ v, /** @type {string[]} */ all) => {
    if (!v) return all.filter((t) => !EXTRA_TARGETS.includes(t));
    const picked = v.split(',').map((s) => s.trim());
    const unknown = picked.filter((p) => !all.includes(p));
    if (unknown.length) throw new Error(`unknown: ${unknown.join(', ')} (expected ${all.join(', ')})`);
    return picked;
  };
  const pinned = cpus().length >= 2;
  const quick = values.quick;
  return {
    help: values.help,
    targets: [
      ...list(values.targets, [...ALL_TARGETS, ...EXTRA_TARGETS]).filter(
        (t) => t !== 'candidate' || values.candidate,
      ),
      ...(values.candidate && !values.targets?.includes('candidate') ? ['candidate'] : []),
    ],
    candidate: values.candidate ? resolve(values.candidate) : undefined,
    scenarios: list(values.scenarios, [...SCENARIOS.map((s) => s.id), OPEN_STREAMS.id]),
    reps: quick ? 1 : Math.max(1, Number(values.reps)),
    scale: quick ? 0.5 : Math.max(0.1, Number(values.scale)),
    soakS: values.soak ? Number(values.soak) : quick ? 5 : OPEN_STREAMS.defaultHoldS,
    quick,
    nodeDriver: values['node-driver'],
    docs: !values['no-docs'] && !quick,
    keepLogs: values['keep-logs'],
    micro: !values['no-micro'],
    relayCore: pinned ? Number(values['relay-core']) : undefined,
    loadCore: pinned ? Number(values['load-core']) : undefined,
  };
}
