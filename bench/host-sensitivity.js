#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { median } from './lib/aggregate.js';
import { machineInfo } from './lib/machine.js';
import { freePort, startProcess, waitForPort } from './lib/processes.js';
import { writeResultFile } from './lib/result-file.js';
import { SCENARIOS } from './lib/scenarios.js';
import { withSimulator } from './lib/session.js';
import { API_KEY } from './lib/targets.js';
import { loadTogether } from './lib/together.js';

const BENCH = new URL('.', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    'touch-kb': { type: 'string', default: '64' },
    scenario: { type: 'string', default: 'sse20-max' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    'relay-core': { type: 'string', default: '0' },
    'load-core': { type: 'string', default: '1' },
  },
});
const say = (/** @type {string} */ line) => process.stdout.write(`${line}\n`);
const touchKb = Number(values['touch-kb']);
if (!(touchKb > 0)) throw new Error('--touch-kb: a number of KB above 0');
const scenario = SCENARIOS.find((s) => s.id === values.scenario);
if (scenario?.kind !== 'closed') throw new Error(`${values.scenario}: not a fixed-concurrency scenario`);
if (availableParallelism() < 2) throw new Error('needs 2 cores: proxies on one, load on the other');
const machine = machineInfo();
if (machine.wrk === undefined) throw new Error('wrk is needed (apt-get install wrk)');
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const relayCore = Number(values['relay-core']);
const loadCore = Number(values['load-core']);

/** The touching proxy's own count: touches made and nanoseconds spent in them. @param {string} origin */
async function touchStats(origin) {
  const res = await request(`${origin}/__bench/touch`);
  return /** @type {{ calls: number, ns: number }} */ (await res.body.json());
}

await withSimulator('host-sensitivity', loadCore, async ({ tmpDir, simOrigin }) => {
  const proxies = [];
  for (const [name, extra] of /** @type {const} */ ([
    ['bare', []],
    [`bare touching ${touchKb} KB`, ['--touch-kb', String(touchKb)]],
  ])) {
    const port = /** @type {number} */ (await freePort());
    const child = startProcess(name, {
      core: relayCore,
      command: process.execPath,
      args: [join(BENCH, 'targets/bare-proxy.js'), '--port', String(port), '--upstream', simOrigin, ...extra],
      logFile: join(tmpDir, `${proxies.length}.log`),
    });
    await waitForPort(port, child, name);
    proxies.push({
      name,
      pid: child.pid,
      origin: `http://127.0.0.1:${port}`,
      headers: ['authorization', `Bearer ${API_KEY}`],
    });
  }
  const [plain, touching] = /** @type {[typeof proxies[0], typeof proxies[0]]} */ (proxies);
  say(`${plain.name} and ${touching.name} side by side on core ${relayCore}, ${scenario.id}`);

  /** Loads both at once; CPU µs a request of each, and the touch's own µs a request. @param {number} s */
  const round = async (s) => {
    const before = await touchStats(touching.origin);
    const [a, b] = await loadTogether(proxies, scenario, { durationS: s, loadCore, tmpDir });
    const after = await touchStats(touching.origin);
    const errors = /** @type {number} */ (a?.errors) + /** @type {number} */ (b?.errors);
    const own = (after.ns - before.ns) / 1000 / Math.max(1, after.calls - before.calls);
    return {
      plainUs: /** @type {number} */ (a?.cpuUsPerRequest),
      touchingUs: /** @type {number} */ (b?.cpuUsPerRequest),
      ownUs: own,
      errors,
    };
  };

  await round(3); // warm-up: JIT, connection pools
  const results = [];
  for (let r = 1; r <= rounds; r++) {
    const x = await round(seconds);
    const added = x.touchingUs - x.plainUs;
    results.push({ round: r, ...x, addedUs: added, amplification: added / x.ownUs });
    say(
      `round ${r}/${rounds}: bare ${x.plainUs.toFixed(1)} µs a request, touching ${x.touchingUs.toFixed(1)} µs: +${added.toFixed(1)} µs, of which the touch itself ${x.ownUs.toFixed(1)} µs (x${(added / x.ownUs).toFixed(2)}, ${x.errors} errors)`,
    );
  }
  const amplification = median(results.map((r) => r.amplification));
  say(
    `median: touching ${touchKb} KB a request (${touchKb * 16} cache lines) costs the request ${median(results.map((r) => r.addedUs)).toFixed(1)} µs, the touch itself ${median(results.map((r) => r.ownUs)).toFixed(1)} µs: x${amplification.toFixed(2)} (1: the rest of the request does not notice)`,
  );
  const file = writeResultFile('host-sensitivity', {
    machine,
    scenario: scenario.id,
    touchKb,
    rounds,
    seconds,
    amplification,
    results,
  });
  say(`results: ${file}`);
});
