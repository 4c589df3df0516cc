// What every side bench script (side-by-side, host-sensitivity, instructions)
// does around its work: a scratch folder for its logs, the simulator pinned to
// the load core, and every process it started stopped by PID at the end, on
// an error or on Ctrl-C. (`npm run bench` keeps its own, with --keep-logs.)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllNow, stopAll } from './processes.js';
import { startSimulator } from './targets.js';

/**
 * Runs `work` with a scratch folder and a simulator, then cleans both up.
 * @template T
 * @param {string} name  the script's name, for the folder
 * @param {number | undefined} loadCore
 * @param {(session: { tmpDir: string, simOrigin: string }) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function withSimulator(name, loadCore, work) {
  const tmpDir = mkdtempSync(join(tmpdir(), `sheepdog-${name}-`));
  const interrupted = () => {
    killAllNow();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    const { origin: simOrigin } = await startSimulator({
      core: loadCore,
      logFile: join(tmpDir, 'simulator.log'),
    });
    return await work({ tmpDir, simOrigin });
  } finally {
    process.off('SIGINT', interrupted);
    await stopAll();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
