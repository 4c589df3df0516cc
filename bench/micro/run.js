#!/usr/bin/env node
// Micro-benchmarks of the hot pieces, one file per source file they measure
// (bench/micro/stream/sse-framer.js measures src/stream/sse-framer.ts).
// Usage: node bench/micro/run.js [filter] [--json]   (pin it: taskset -c 0 node ...)

import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from './harness.js';

const MICRO = new URL('.', import.meta.url).pathname;

/** Every micro file, in folder order. @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : dir === MICRO ? [] : [join(dir, e.name)]))
    .filter((f) => f.endsWith('.js'));
}

/**
 * Runs every case whose file or name matches `filter`.
 * @param {{ filter?: string, log?: (line: string) => void }} [o]
 */
export async function runMicro(o = {}) {
  const log = o.log ?? ((/** @type {string} */ l) => process.stdout.write(`${l}\n`));
  const results = [];
  for (const file of files(MICRO)) {
    const rel = relative(MICRO, file);
    /** @type {{ cases?: import('./harness.js').Case[], skip?: string }} */
    let mod;
    try {
      mod = await import(file);
    } catch (err) {
      log(`${rel}: skipped (${err instanceof Error ? err.message.split('\n')[0] : err})`);
      continue;
    }
    if (mod.skip) {
      log(`${rel}: skipped (${mod.skip})`);
      continue;
    }
    for (const c of mod.cases ?? []) {
      if (o.filter && !rel.includes(o.filter) && !c.name.includes(o.filter)) continue;
      const r = run(c);
      results.push({ file: rel, ...r });
      const unit = r.nsPerUnit !== undefined ? `  (${r.nsPerUnit.toFixed(0)} ns/${r.unit})` : '';
      log(
        `${rel.padEnd(28)} ${c.name.padEnd(60)} ${r.nsPerOp.toFixed(0).padStart(8)} ns/op ±${r.spreadPct.toFixed(0)}%${unit}`,
      );
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    process.stderr.write('build the relay first: npm run build\n');
    process.exit(1);
  }
  const json = process.argv.includes('--json');
  const filter = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const results = await runMicro({ filter, log: json ? () => {} : undefined });
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
}
