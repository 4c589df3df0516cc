// How often the host takes a core away: one process pinned to each core
// spins on the clock for a while and counts the gaps between two readings
// (a gap is time the process did not run: another task, an interrupt, or the
// hypervisor descheduling the virtual CPU). Then a wake-up test: a process on
// the load core writes to a pipe every 2 ms and one on the relay core answers,
// the hop every relayed request makes several times; timed round trips.
//
// Why: the latency bars judge a p99, and on a shared VM the p99 of anything
// that crosses both cores is set by these stalls. Sheepdog cannot change them;
// this says how large they are on the machine the bench ran on.
//
// Usage: node bench/host-stalls.js [--seconds 10] [--relay-core 0] [--load-core 1]

import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { machineInfo } from './lib/machine.js';
import { hasTaskset } from './lib/processes.js';
import { writeResultFile } from './lib/result-file.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'relay-core': { type: 'string', default: '0' },
    'load-core': { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const cores = [Number(values['relay-core']), Number(values['load-core'])];

// Spins for `s` seconds; prints the gaps over 50 us as counts by size and the longest.
const SPIN = `
  const end = performance.now() + ${seconds * 1000};
  let prev = performance.now(), over = [0, 0, 0, 0], longest = 0, lost = 0;
  for (;;) {
    const t = performance.now(), gap = t - prev;
    prev = t;
    if (gap > 0.05) {
      lost += gap; longest = Math.max(longest, gap);
      over[0]++; if (gap > 0.2) over[1]++; if (gap > 1) over[2]++; if (gap > 3) over[3]++;
    }
    if (t > end) break;
  }
  console.log(JSON.stringify({ over50us: over[0], over200us: over[1], over1ms: over[2], over3ms: over[3], longestMs: longest, lostPct: 100 * lost / ${seconds * 1000} }));
`;

// The answering side of the wake-up test: echoes each byte back.
const ECHO = `process.stdin.on('data', (b) => process.stdout.write(b));`;

/** @param {number} core @param {string} script */
function pinned(core, script) {
  const args = ['--input-type=module', '-e', script];
  return hasTaskset
    ? spawn('taskset', ['-c', String(core), process.execPath, ...args], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** @param {import('node:child_process').ChildProcess} child */
function outputOf(child) {
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve(JSON.parse(out)));
  });
}

console.log(`spinning on cores ${cores.join(' and ')} for ${seconds} s, both at once`);
const spins = await Promise.all(cores.map((c) => outputOf(pinned(c, SPIN))));
cores.forEach((c, i) => {
  const s = spins[i];
  console.log(
    `core ${c}: gaps over 0.2 ms ${s.over200us}, over 1 ms ${s.over1ms}, over 3 ms ${s.over3ms}; longest ${s.longestMs.toFixed(2)} ms; ${s.lostPct.toFixed(2)}% of the time lost`,
  );
});

// Wake-up round trips: this process runs on the load core, the echo on the relay core (idle between pings).
if (hasTaskset)
  spawnSync('taskset', ['-p', '-c', String(cores[1]), String(process.pid)], { stdio: 'ignore' });
const echo = pinned(/** @type {number} */ (cores[0]), ECHO);
const rounds = Math.round((seconds * 1000) / 2);
/** @type {number[]} */
const trips = [];
await new Promise((resolve) => setTimeout(resolve, 300));
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  await new Promise((resolve) => {
    echo.stdout?.once('data', resolve);
    echo.stdin?.write('x');
  });
  trips.push((performance.now() - t0) * 1000);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
echo.kill();
trips.sort((a, b) => a - b);
const at = (/** @type {number} */ q) =>
  /** @type {number} */ (trips[Math.min(trips.length - 1, Math.floor(q * trips.length))]);
const wake = { rounds, p50Us: at(0.5), p99Us: at(0.99), p999Us: at(0.999), maxUs: at(1) };
console.log(
  `wake-up round trip to core ${cores[0]} (from core ${cores[1]}, every 2 ms, ${rounds} rounds): p50 ${wake.p50Us.toFixed(0)} us, p99 ${wake.p99Us.toFixed(0)} us, p99.9 ${wake.p999Us.toFixed(0)} us, max ${wake.maxUs.toFixed(0)} us`,
);
const file = writeResultFile('host-stalls', { machine: machineInfo(), seconds, cores, spins, wake });
console.log(`results: ${file}`);
