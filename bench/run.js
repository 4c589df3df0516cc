#!/usr/bin/env node
// `npm run bench`: builds the relay when dist/ is missing or older than src/,
// installs the bench's own dependencies when they are missing, then runs.
// Only node: modules here, since the bench's dependencies may not exist yet.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BENCH = new URL('.', import.meta.url).pathname;
const ROOT = join(BENCH, '..');

/** Newest modification time under `dir`, in ms. @param {string} dir */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** @param {string} command @param {string[]} args @param {string} cwd */
function run(command, args, cwd) {
  process.stdout.write(`bench: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`bench: \`${command} ${args.join(' ')}\` failed\n`);
    process.exit(r.status ?? 1);
  }
}

const help = process.argv.includes('--help');
if (!help) {
  if (!existsSync(join(ROOT, 'node_modules/typescript'))) run('npm', ['ci', '--no-audit', '--no-fund'], ROOT);
  const built = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(built) || newest(join(ROOT, 'src')) > statSync(built).mtimeMs)
    run('npm', ['run', 'build', '--silent'], ROOT);
  if (!existsSync(join(BENCH, 'node_modules/undici/package.json')))
    run('npm', ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], ROOT);
}
await import('./lib/main.js');
