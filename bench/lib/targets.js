// The targets, each in front of the same simulator: how to start it, where to
// send requests, and which headers it needs. `direct` is the floor, `bare` the
// ceiling of a Node proxy, `sheepdog*` the relay, `portkey` a peer.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, startProcess, waitForPort } from './processes.js';
import { SIM_COMPLETION_TOKENS } from './scenarios.js';

const BENCH = new URL('..', import.meta.url).pathname;
const ROOT = join(BENCH, '..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const API_KEY = 'sk-bench-not-a-secret';

/**
 * Starts the upstream simulator every target stands in front of, and waits until it listens.
 * @param {{ core: number | undefined, logFile?: string }} o
 */
export async function startSimulator(o) {
  const port = /** @type {number} */ (await freePort());
  const child = startProcess('simulator', {
    core: o.core,
    command: process.execPath,
    args: [CLI, 'simulate', '--port', String(port), '--completion-tokens', String(SIM_COMPLETION_TOKENS)],
    logFile: o.logFile,
  });
  await waitForPort(port, child, 'simulator');
  return { child, origin: `http://127.0.0.1:${port}` };
}

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {boolean} relay        false only for `direct`
 * @property {boolean} available
 * @property {string} note          why it is missing, or what it runs with
 * @property {string} origin
 * @property {string[]} headers     besides content-type
 * @property {number | undefined} pid
 * @property {import('node:child_process').ChildProcess | undefined} child
 * @property {string | undefined} config  the YAML it ran with (sheepdog)
 * @property {string | undefined} [metricsPath]  its Prometheus metrics, when it exports them (sheepdog with metrics on)
 */

/** @param {string} yaml @param {string} file true when `sheepdog check-config` accepts it */
function configAccepted(yaml, file) {
  writeFileSync(file, yaml);
  return spawnSync(process.execPath, [CLI, 'check-config', file], { stdio: 'ignore' }).status === 0;
}

/**
 * Sheepdog's YAML: everything a production user turns on. Metrics are switched
 * explicitly when this build knows the `metrics` key; `null` when it does not.
 * @param {{ port: number, simOrigin: string, metrics: boolean | undefined, slowBreaker?: boolean }} o
 */
export function sheepdogYaml(o) {
  const lines = [
    `listen: 127.0.0.1:${o.port}`,
    'log:',
    '  level: info',
    'upstreams:',
    '  - name: simulator',
    `    base_url: ${o.simOrigin}/v1`,
    `    api_key: ${API_KEY}`,
    '    max_connections: 2048',
    '    timeouts:',
    '      total_ms: 3600000',
  ];
  if (o.metrics !== undefined) lines.push('metrics:', `  enabled: ${o.metrics}`);
  if (o.slowBreaker)
    // One upstream has nowhere to fail over to: with the default `auto` threshold (250 ms floor) the
    // first-token spikes of a 2,000-stream ramp open its breaker and every client gets 503 (see
    // docs/benchmarks.md). Breakers still count errors, cuts and timeouts.
    lines.push('breaker:', '  slow_ms: 60000');
  return `${lines.join('\n')}\n`;
}

/** @param {string} name @param {Partial<Target>} fields @returns {Target} */
function target(name, fields) {
  return {
    name,
    relay: true,
    available: true,
    note: '',
    origin: '',
    headers: ['authorization', `Bearer ${API_KEY}`],
    pid: undefined,
    child: undefined,
    config: undefined,
    metricsPath: undefined,
    ...fields,
  };
}

function portkeyEntry() {
  try {
    const require = createRequire(join(BENCH, 'package.json'));
    const pkg = require.resolve('@portkey-ai/gateway/package.json');
    const entry = join(dirname(pkg), 'build/start-server.js');
    return existsSync(entry) ? { entry, version: require(pkg).version } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts every requested target (relays on `relayCore`) and waits until each listens.
 * `candidate` is sheepdog's own config run from another build (`--candidate DIST`), to measure a change.
 * @param {{ names: string[], simOrigin: string, relayCore: number | undefined, tmpDir: string, candidate?: string }} o
 * @returns {Promise<Target[]>}
 */
export async function startTargets(o) {
  /** @type {Target[]} */
  const targets = [];
  const env = { ...process.env, NODE_ENV: 'production' };
  for (const name of o.names) {
    if (name === 'direct') {
      targets.push(target('direct', { relay: false, origin: o.simOrigin, note: 'client to simulator' }));
      continue;
    }
    const port = /** @type {number} */ (await freePort());
    const logFile = join(o.tmpDir, `${name}.log`);
    if (name === 'bare') {
      const child = startProcess(name, {
        core: o.relayCore,
        command: process.execPath,
        args: [join(BENCH, 'targets/bare-proxy.js'), '--port', String(port), '--upstream', o.simOrigin],
        env,
        logFile,
      });
      targets.push(
        target(name, { origin: `http://127.0.0.1:${port}`, child, note: 'undici Pool pass-through' }),
      );
    } else if (name === 'sheepdog' || name === 'sheepdog-nometrics' || name === 'candidate') {
      const metricsOn = name !== 'sheepdog-nometrics';
      const cli = name === 'candidate' && o.candidate ? join(o.candidate, 'cli/main.js') : CLI;
      const file = join(o.tmpDir, `${name}.yaml`);
      const slowBreaker = configAccepted(
        sheepdogYaml({ port, simOrigin: o.simOrigin, metrics: undefined, slowBreaker: true }),
        file,
      );
      const explicit = sheepdogYaml({ port, simOrigin: o.simOrigin, metrics: metricsOn, slowBreaker });
      const known = configAccepted(explicit, file);
      if (!known && !metricsOn) {
        targets.push(
          target(name, {
            available: false,
            note: 'pending: this build rejects `metrics: { enabled: false }`',
          }),
        );
        continue;
      }
      const yaml = known
        ? explicit
        : sheepdogYaml({ port, simOrigin: o.simOrigin, metrics: undefined, slowBreaker });
      writeFileSync(file, yaml);
      const child = startProcess(name, {
        core: o.relayCore,
        command: process.execPath,
        args: [cli, 'start', '--config', file],
        env,
        logFile,
      });
      const from = name === 'candidate' ? `build ${o.candidate}, ` : '';
      const note = known
        ? `${from}metrics ${metricsOn ? 'on' : 'off'}, logs at info to a file`
        : 'this build has no `metrics` key yet (no metrics); logs at info to a file';
      // Its own /metrics tells the GC time of each step (lib/gc-scrape.js).
      const metricsPath = known && metricsOn ? '/metrics' : undefined;
      targets.push(
        target(name, { origin: `http://127.0.0.1:${port}`, child, config: yaml, note, metricsPath }),
      );
    } else if (name === 'portkey') {
      const found = portkeyEntry();
      if (!found) {
        targets.push(target(name, { available: false, note: 'not installed (npm ci --prefix bench)' }));
        continue;
      }
      const child = startProcess(name, {
        core: o.relayCore,
        command: process.execPath,
        args: [
          '--require',
          join(BENCH, 'targets/loopback-only.cjs'),
          found.entry,
          `--port=${port}`,
          '--headless',
        ],
        env,
        logFile,
      });
      targets.push(
        target(name, {
          origin: `http://127.0.0.1:${port}`,
          child,
          note: `@portkey-ai/gateway ${found.version}`,
          headers: [
            'authorization',
            `Bearer ${API_KEY}`,
            'x-portkey-provider',
            'openai',
            'x-portkey-custom-host',
            `${o.simOrigin}/v1`,
          ],
        }),
      );
    } else throw new Error(`unknown target ${name}`);
  }
  for (const t of targets) {
    if (!t.child) continue;
    t.pid = t.child.pid;
    await waitForPort(Number(new URL(t.origin).port), t.child, t.name);
  }
  return targets;
}
