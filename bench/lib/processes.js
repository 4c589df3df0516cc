// Every process the bench starts goes through here: pinned to a core with
// taskset, registered by PID, and stopped by PID (SIGTERM, then SIGKILL) on
// the way out, on error and on Ctrl-C alike.

import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { connect } from 'node:net';

/** @type {Map<number, { name: string, child: import('node:child_process').ChildProcess }>} */
const started = new Map();

export const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * Starts `command args` on `core` (when taskset exists) and registers it.
 * @param {string} name for messages
 * @param {{ core: number | undefined, command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string, logFile?: string, ipc?: boolean }} spec
 */
export function startProcess(name, spec) {
  const pinned = hasTaskset && spec.core !== undefined;
  const command = pinned ? 'taskset' : spec.command;
  const args = pinned ? ['-c', String(spec.core), spec.command, ...spec.args] : spec.args;
  const out = spec.logFile ? openSync(spec.logFile, 'a') : 'ignore';
  /** @type {import('node:child_process').StdioOptions} */
  const stdio = spec.ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out];
  const child = spawn(command, args, { env: spec.env ?? process.env, cwd: spec.cwd, stdio });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = child.pid;
  started.set(pid, { name, child });
  child.once('exit', () => started.delete(pid));
  return child;
}

/**
 * Stops one process by PID: SIGTERM, then SIGKILL after `graceMs`.
 * @param {import('node:child_process').ChildProcess} child
 */
export async function stopProcess(child, graceMs = 3000) {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...started.values()].map(({ child }) => stopProcess(child)));
}

/**
 * Registers a process started elsewhere (wrk), so Ctrl-C stops it too.
 * @param {string} name
 * @param {import('node:child_process').ChildProcess} child
 */
export function track(name, child) {
  const pid = child.pid;
  if (pid === undefined) return;
  started.set(pid, { name, child });
  child.once('exit', () => started.delete(pid));
}

/** Last resort when the runner itself is dying: no awaiting, just SIGKILL by PID. */
export function killAllNow() {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
}

/**
 * Waits until something accepts TCP connections on 127.0.0.1:port.
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child fails fast if it exits
 * @param {string} name
 */
export async function waitForPort(port, child, name, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} before listening`);
    const up = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
}

/** A port free right now on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
  });
}
