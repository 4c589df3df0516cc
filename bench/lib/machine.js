// What the numbers were measured on, for the result file and the doc.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { wrkVersion } from './wrk.js';

const BENCH = new URL('..', import.meta.url).pathname;

function git(/** @type {string[]} */ args) {
  try {
    return execFileSync('git', args, {
      cwd: BENCH,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

export function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const require = createRequire(join(BENCH, 'package.json'));
  return {
    cpu: model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    undici: require('undici/package.json').version,
    wrk: wrkVersion(),
  };
}

export function gitInfo() {
  return {
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--', '../src']) !== '',
  };
}
