// Fixed-concurrency runs with wrk (C, cheap enough to leave the load core to
// the simulator), pinned like every other process. wrk records latency in
// microseconds; wrk-report.lua prints its numbers as one JSON line.

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTaskset, track } from './processes.js';

const SCRIPT = new URL('../load/wrk-report.lua', import.meta.url).pathname;

export function wrkVersion() {
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (run.error) return undefined;
  return (`${run.stdout}${run.stderr}`.split('\n')[0] ?? '').replace(/\s+Copyright.*$/, '').trim();
}

/**
 * @param {{ url: string, body: string, headers: string[], concurrency: number, durationS: number, core: number | undefined, tmpDir: string }} run
 * @param {() => void} [onStart] called once wrk is spawned (CPU accounting starts)
 * @returns {Promise<{ requests: number, duration_us: number, bytes: number, errors: Record<string, number>, latency_us: Record<string, number> }>}
 */
export function runWrk(run, onStart) {
  const bodyFile = join(run.tmpDir, `wrk-body-${process.pid}.json`);
  writeFileSync(bodyFile, run.body);
  const headerArgs = [];
  for (let i = 0; i < run.headers.length; i += 2) headerArgs.push(`${run.headers[i]}: ${run.headers[i + 1]}`);
  const args = [
    '-t1',
    `-c${run.concurrency}`,
    `-d${run.durationS}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    run.url,
    '--',
    bodyFile,
    ...headerArgs,
  ];
  const pinned = hasTaskset && run.core !== undefined;
  const child = spawn(pinned ? 'taskset' : 'wrk', pinned ? ['-c', String(run.core), 'wrk', ...args] : args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track('wrk', child);
  onStart?.();
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': 'exit' may come before wrk's last output has been read from its pipes.
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (!line) return reject(new Error(`wrk exited ${code} without a result: ${out.slice(0, 500)}`));
      resolve(JSON.parse(line.slice('WRK_JSON '.length)));
    });
  });
}
