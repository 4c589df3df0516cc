// One result file per run of a bench tool: bench/results/<kind>-<timestamp>.json,
// stamped with the time and the commit it measured.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitInfo } from './machine.js';

const RESULTS = new URL('../results/', import.meta.url).pathname;

/**
 * Writes `{ kind, at, git, ...fields }` and returns the file's path.
 * @param {string} kind @param {Record<string, unknown>} fields
 */
export function writeResultFile(kind, fields) {
  const at = new Date().toISOString();
  const file = join(RESULTS, `${kind}-${at.replace(/[:.]/g, '-')}.json`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(file, `${JSON.stringify({ kind, at, git: gitInfo(), ...fields }, null, 2)}\n`);
  return file;
}
