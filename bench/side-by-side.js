#!/usr/bin/env node
// A/B of two Sheepdog builds loaded side by side: both relays pinned to the
// relay core, each under its own wrk on the load core, at the same time. On a
// shared, noisy host a slow moment then falls on both builds at once, where
// the bench's alternated steps put it on whichever ran then (its paired A/Bs
// moved ±15% a step for one build). What is compared is CPU per request,
// round by round; each relay gets about half the core, so both are measured
// saturated.
//
// Usage: node bench/side-by-side.js --candidate DIST [--scenarios json-max,sse20-max] [--rounds 8] [--seconds 5]
//        node bench/side-by-side.js --against bare|sheepdog-nometrics [...]
//   `sheepdog` runs from this checkout's dist/ (npm run build first), `candidate` from DIST;
//   `--against` loads another of the bench's targets beside it instead (`bare`: the gap to the ceiling).

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './lib/aggregate.js';
import { machineInfo } from './lib/machine.js';
import { writeResultFile } from './lib/result-file.js';
import { SCENARIOS } from './lib/scenarios.js';
import { withSimulator } from './lib/session.js';
import { startTargets } from './lib/targets.js';
import { loadTogether } from './lib/together.js';

const BENCH = new URL('.', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    candidate: { type: 'string' },
    against: { type: 'string', default: 'candidate' },
    scenarios: { type: 'string', default: 'json-max,sse20-max' },
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    'relay-core': { type: 'string', default: '0' },
    'load-core': { type: 'string', default: '1' },
  },
});
const say = (/** @type {string} */ line) => process.stdout.write(`${line}\n`);
const AGAINST = ['candidate', 'bare', 'sheepdog-nometrics'];
const against = values.against;
if (!AGAINST.includes(against)) throw new Error(`--against: one of ${AGAINST.join(', ')}`);
if (against === 'candidate' && (!values.candidate || !existsSync(join(values.candidate, 'cli/main.js'))))
  throw new Error('--candidate DIST is required: a build folder holding cli/main.js');
const candidate = against === 'candidate' ? resolve(/** @type {string} */ (values.candidate)) : undefined;
if (!existsSync(join(BENCH, '../dist/cli/main.js'))) throw new Error('no dist/: run `npm run build` first');
const machine = machineInfo();
if (machine.wrk === undefined) throw new Error('wrk is needed (apt-get install wrk)');
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
// Side by side means sharing one core: with fewer than two there is nothing to keep the load off it.
if (availableParallelism() < 2)
  throw new Error('side by side needs 2 cores: relays on one, load on the other');
const relayCore = Number(values['relay-core']);
const loadCore = Number(values['load-core']);
const scenarios = values.scenarios.split(',').map((id) => {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s?.kind !== 'closed') throw new Error(`${id}: not a fixed-concurrency scenario`);
  return s;
});

await withSimulator('side-by-side', loadCore, async ({ tmpDir, simOrigin }) => {
  const targets = await startTargets({
    names: ['sheepdog', against],
    simOrigin,
    relayCore,
    tmpDir,
    candidate,
  });
  say(
    `side by side on core ${relayCore}: sheepdog (this dist/) and ${against}${candidate ? ` (${candidate})` : ''}`,
  );
  // Warm-up: JIT and connection pools, every scenario once.
  for (const scenario of scenarios) await loadTogether(targets, scenario, { durationS: 3, loadCore, tmpDir });
  /** @type {Array<Record<string, unknown>>} */
  const results = [];
  for (const scenario of scenarios) {
    /** @type {number[]} */
    const ratios = [];
    // Sheepdog's CPU a request over the other's, all of it and the kernel's part, µs, round by round.
    /** @type {number[]} */
    const cpuGaps = [];
    /** @type {number[]} */
    const kernelGaps = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternate which wrk starts first, in case starting first matters.
      const order = round % 2 ? targets : [...targets].reverse();
      const rows = await loadTogether(order, scenario, { durationS: seconds, loadCore, tmpDir });
      /** @param {string} name */
      const rowOf = (name) => {
        const row = rows.find((r) => r.target === name);
        if (!row) throw new Error(`no figures for ${name}`);
        return row;
      };
      const mine = rowOf('sheepdog');
      const other = rowOf(against);
      const ratio = mine.cpuUsPerRequest / other.cpuUsPerRequest;
      ratios.push(ratio);
      cpuGaps.push(mine.cpuUsPerRequest - other.cpuUsPerRequest);
      kernelGaps.push(mine.kernelUsPerRequest - other.kernelUsPerRequest);
      results.push({ scenario: scenario.id, round, rows, ratio });
      say(
        `${scenario.id} round ${round}/${rounds}: sheepdog ${mine.cpuUsPerRequest.toFixed(1)} µs a request (kernel ${mine.kernelUsPerRequest.toFixed(1)}; ${mine.requests} req, ${mine.errors} errors), ${against} ${other.cpuUsPerRequest.toFixed(1)} µs (kernel ${other.kernelUsPerRequest.toFixed(1)}; ${other.requests} req, ${other.errors} errors), ratio ${ratio.toFixed(3)}`,
      );
    }
    say(
      `${scenario.id}: CPU per request, sheepdog over ${against}: median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}; below 1: sheepdog is cheaper); the difference ${median(cpuGaps).toFixed(1)} µs a request, of it the kernel's ${median(kernelGaps).toFixed(1)} µs (medians)`,
    );
  }
  const file = writeResultFile('side-by-side', { machine, against, candidate, rounds, seconds, results });
  say(`results: ${file}`);
});
