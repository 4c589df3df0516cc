// Several relays loaded at once on the relay core, each by its own wrk on the
// load core at half the scenario's concurrency: a slow moment of the host then
// falls on all of them. What is compared is CPU per request (side-by-side.js,
// host-sensitivity.js).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requestFor } from './measure.js';
import { cpuTimes } from './proc-stats.js';
import { runWrk } from './wrk.js';

/**
 * @typedef {{ name: string, origin: string, headers: string[], pid: number | undefined }} LoadedTarget
 * @typedef {{ target: string, requests: number, errors: number, cpuUsPerRequest: number, kernelUsPerRequest: number }} TogetherRow
 */

/**
 * Loads every target at once for `durationS`; each row counts the target's
 * answered requests (not those with an error status) and its CPU a request,
 * with the kernel's part of it (system time).
 * @param {LoadedTarget[]} targets @param {import('./scenarios.js').Scenario} scenario
 * @param {{ durationS: number, loadCore: number, tmpDir: string }} o
 * @returns {Promise<TogetherRow[]>}
 */
export async function loadTogether(targets, scenario, o) {
  const before = targets.map((t) => cpuTimes(/** @type {number} */ (t.pid)));
  const runs = await Promise.all(
    targets.map((t, i) => {
      const request = requestFor(t, scenario);
      const dir = join(o.tmpDir, String(i));
      mkdirSync(dir, { recursive: true });
      return runWrk({
        url: `${t.origin}${request.path}`,
        body: request.body,
        headers: request.headers,
        concurrency: Math.max(1, Math.round(/** @type {number} */ (scenario.concurrency) / 2)),
        durationS: o.durationS,
        core: o.loadCore,
        tmpDir: dir,
      });
    }),
  );
  return targets.map((t, i) => {
    const w = /** @type {Awaited<ReturnType<typeof runWrk>>} */ (runs[i]);
    const errors = Object.values(w.errors).reduce((a, b) => a + b, 0);
    const ok = w.requests - (w.errors.status ?? 0);
    const was = /** @type {{ user: number, system: number }} */ (before[i]);
    const now = cpuTimes(/** @type {number} */ (t.pid));
    const kernelS = now.system - was.system;
    const cpuS = now.user - was.user + kernelS;
    return {
      target: t.name,
      requests: ok,
      errors,
      cpuUsPerRequest: ok > 0 ? (1e6 * cpuS) / ok : Number.NaN,
      kernelUsPerRequest: ok > 0 ? (1e6 * kernelS) / ok : Number.NaN,
    };
  });
}
