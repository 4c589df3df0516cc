#!/usr/bin/env node
// Profiles one target under one scenario: starts the simulator and the target
// with `node --cpu-prof` (pinned as in the bench), loads it, stops it, and
// prints the functions with the most self and inclusive time.
//
// Usage: node bench/profile.js [--target sheepdog] [--scenario json-max] [--seconds 8] [--config FILE]
//   --config: a sheepdog YAML to profile instead of the bench's own (its listen
//   and upstream are rewritten to the bench's simulator)

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileTop } from './lib/cpuprofile-top.js';
import { startDriver } from './lib/driver-client.js';
import { requestFor } from './lib/measure.js';
import { freePort, startProcess, stopAll, stopProcess, waitForPort } from './lib/processes.js';
import { SCENARIOS } from './lib/scenarios.js';
import { API_KEY, startSimulator } from './lib/targets.js';
import { runWrk, wrkVersion } from './lib/wrk.js';

const BENCH = new URL('.', import.meta.url).pathname;
const ROOT = join(BENCH, '..');
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'sheepdog' },
    scenario: { type: 'string', default: 'json-max' },
    seconds: { type: 'string', default: '8' },
    config: { type: 'string' },
    top: { type: 'string', default: '30' },
  },
});
const scenario = SCENARIOS.find((s) => s.id === values.scenario);
if (!scenario) throw new Error(`unknown scenario ${values.scenario}`);
const dir = mkdtempSync(join(tmpdir(), 'sheepdog-profile-'));

try {
  const { origin: simOrigin } = await startSimulator({ core: 1 });
  if (scenario.paceMs)
    await fetch(`${simOrigin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chunk_delay_ms: scenario.paceMs }),
    });
  const port = /** @type {number} */ (await freePort());
  const profDir = join(dir, 'prof');
  let args;
  if (values.target === 'bare') {
    args = [join(BENCH, 'targets/bare-proxy.js'), '--port', String(port), '--upstream', simOrigin];
  } else {
    const yaml = values.config
      ? readFileSync(values.config, 'utf8')
          .replace(/^listen:.*$/m, `listen: 127.0.0.1:${port}`)
          .replace(/base_url:.*$/m, `base_url: ${simOrigin}/v1`)
      : `listen: 127.0.0.1:${port}\nlog:\n  level: info\nupstreams:\n  - name: simulator\n    base_url: ${simOrigin}/v1\n    api_key: ${API_KEY}\n    max_connections: 2048\n`;
    writeFileSync(join(dir, 'sheepdog.yaml'), yaml);
    args = [join(ROOT, 'dist/cli/main.js'), 'start', '--config', join(dir, 'sheepdog.yaml')];
  }
  const target = startProcess(values.target, {
    core: 0,
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...args],
    logFile: join(dir, 'target.log'),
  });
  await waitForPort(port, target, values.target);
  const t = {
    name: values.target,
    relay: true,
    available: true,
    note: '',
    origin: `http://127.0.0.1:${port}`,
    headers: ['authorization', `Bearer ${API_KEY}`],
    pid: target.pid,
    child: target,
    config: undefined,
  };
  const request = requestFor(t, scenario);
  const driver = await startDriver({ core: 1, logDir: dir });
  await driver.run('closed', { request, concurrency: 16, warmupMs: 0, durationMs: 2000 });
  const seconds = Number(values.seconds);
  if (scenario.kind === 'closed' && wrkVersion()) {
    const w = await runWrk({
      url: `${t.origin}${request.path}`,
      body: request.body,
      headers: request.headers,
      concurrency: /** @type {number} */ (scenario.concurrency),
      durationS: seconds,
      core: 1,
      tmpDir: dir,
    });
    process.stdout.write(
      `${scenario.id}: ${(w.requests / (w.duration_us / 1e6)).toFixed(0)} req/s under the profiler\n`,
    );
  } else {
    const job =
      scenario.kind === 'rate'
        ? {
            request,
            rate: scenario.rate,
            warmupMs: 0,
            durationMs: seconds * 1000,
            connections: 512,
            drainMs: 5000,
          }
        : { request, concurrency: scenario.concurrency, warmupMs: 0, durationMs: seconds * 1000 };
    const r = await driver.run(scenario.kind, job);
    process.stdout.write(`${scenario.id}: ${r.rps.toFixed(0)} req/s under the profiler\n`);
  }
  await stopProcess(target, 10_000);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const limit = Number(values.top);
  for (const inclusive of [false, true]) {
    const { totalMs, idleMs, rows } = profileTop(join(profDir, file), { limit, inclusive });
    process.stdout.write(
      `\n${inclusive ? 'inclusive' : 'self'} time (sampled ${totalMs.toFixed(0)} ms, idle ${idleMs.toFixed(0)} ms)\n`,
    );
    for (const r of rows) process.stdout.write(`${r.pct.toFixed(1).padStart(5)}%  ${r.fn}  ${r.where}\n`);
  }
  process.stdout.write(`\nprofile: ${join(profDir, file)}\n`);
} finally {
  await stopAll();
}
