// The runner's handle on the load driver process: send a job, get marks
// (measure-start, measure-end, progress) as they happen, then the result.

import { join } from 'node:path';
import { startProcess } from './processes.js';

const DRIVER = new URL('../load/driver.js', import.meta.url).pathname;

/**
 * @param {{ core: number | undefined, logDir: string }} o
 */
export async function startDriver(o) {
  const child = startProcess('load driver', {
    core: o.core,
    command: process.execPath,
    args: [DRIVER],
    logFile: join(o.logDir, 'driver.log'),
    ipc: true,
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`load driver exited with code ${code}`)));
  });
  let nextId = 1;
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    /**
     * @param {'rate' | 'closed' | 'hold'} kind
     * @param {object} job
     * @param {(mark: string, detail: Record<string, number>) => void} [onMark]
     * @returns {Promise<any>}
     */
    run(kind, job, onMark) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onMessage = (/** @type {any} */ msg) => {
          if (msg.id !== id) return;
          if (msg.mark) onMark?.(msg.mark, msg);
          else {
            child.off('message', onMessage);
            child.off('exit', onExit);
            if (msg.error) reject(new Error(`load driver: ${msg.error}`));
            else resolve(msg.result);
          }
        };
        const onExit = (/** @type {number} */ code) =>
          reject(new Error(`load driver exited with code ${code}`));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ id, kind, job });
      });
    },
  };
}
