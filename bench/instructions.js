#!/usr/bin/env node
// Instructions a request costs each relay, counted by valgrind (callgrind)
// rather than timed: a measure the host's noise cannot move. Each relay runs
// alone under callgrind with `--perf-basic-prof`, takes `--warm` requests
// (JIT, pools, caches), has its counters zeroed, takes `--count` more and
// dumps them; JIT code is named from V8's perf map, so JavaScript functions
// get their own counts as well as C++ and V8's builtins. The same build
// counted twice agrees within ~2% on the relay's own work (garbage collection
// and the optimising compiler, which run when the clock says, are reported
// apart and left out of it); timed runs of it move 10-30% on this kind of host.
// What instructions do not show is time spent waiting on memory: the timed
// bench remains the measure of the bar.
//
// The warm-up must reach the code a real run settles on. With 2,000 requests
// (the default until stop 18) hot functions still ran in V8's baseline tier
// and their inline caches were counted as work: a JSON request through
// Sheepdog read 281.0k instructions (297.8k with the compiler on its own
// thread), against 253.4k after 8,000 requests and 253.5k after 20,000;
// through `bare` 222.9k (240.3k), and 219.1k after 20,000. Hence 8,000, and
// the optimising compiler in line.
//
// Usage: node bench/instructions.js [--targets bare,sheepdog,sheepdog-nometrics] [--candidate DIST]
//          [--scenario sse20-max|json-max|json-ctx-max] [--warm 8000] [--count 3000] [--top 30]
//          [--keep DIR]   (keep each target's callgrind file and perf map, for callgrind_annotate)
//          [--cache-sim]  (also simulate the host's caches: misses a request in the first-level
//                          instruction and data caches, for time the instructions do not show)
//          [--client-usage] (streams: the client asks for usage itself, so Sheepdog has no
//                          `"usage":null` to remove and no usage chunk to hold back: what the
//                          byte-exact answer to a client that did not ask costs)
//   needs valgrind (apt-get install valgrind); ~8-12 minutes for two targets on 2 cores.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { machineInfo } from './lib/machine.js';
import { freePort, startProcess, stopProcess, waitForPort } from './lib/processes.js';
import { writeResultFile } from './lib/result-file.js';
import { requestBody, SCENARIOS } from './lib/scenarios.js';
import { withSimulator } from './lib/session.js';
import { API_KEY, CLI, sheepdogYaml } from './lib/targets.js';

const BENCH = new URL('.', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'bare,sheepdog' },
    candidate: { type: 'string' },
    scenario: { type: 'string', default: 'sse20-max' },
    warm: { type: 'string', default: '8000' },
    count: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '8' },
    top: { type: 'string', default: '30' },
    'relay-core': { type: 'string', default: '0' },
    'load-core': { type: 'string', default: '1' },
    keep: { type: 'string' },
    'cache-sim': { type: 'boolean', default: false },
    'client-usage': { type: 'boolean', default: false },
  },
});
const say = (/** @type {string} */ line) => process.stdout.write(`${line}\n`);
if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0)
  throw new Error('valgrind is needed (apt-get install valgrind)');
const scenario = SCENARIOS.find((s) => s.id === values.scenario);
if (scenario?.kind !== 'closed') throw new Error(`${values.scenario}: not a fixed-concurrency scenario`);
if (values['client-usage'] && !scenario.stream)
  throw new Error(
    `--client-usage: ${scenario.id} is not a streaming scenario (only streams carry usage chunks)`,
  );
const names = values.targets.split(',');
if (values.candidate && !names.includes('candidate')) names.push('candidate');
const candidate = values.candidate ? resolve(values.candidate) : undefined;
if (names.includes('candidate') && !(candidate && existsSync(join(candidate, 'cli/main.js'))))
  throw new Error('--candidate DIST: a build folder holding cli/main.js');
const warm = Number(values.warm);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const relayCore = Number(values['relay-core']);
const loadCore = Number(values['load-core']);

/**
 * What a function's instructions are: the relay's work, or V8 running on its own schedule.
 * @param {string} fn
 */
function category(fn) {
  if (fn.startsWith('JS:') || fn.startsWith('RegExp:') || fn.startsWith('Builtin:') || fn === 'JIT (unnamed)')
    return fn.includes('dist/') || fn.includes('file:///')
      ? fn.includes('/bench/')
        ? 'JS: the bench target'
        : 'JS: relay'
      : fn.includes('undici')
        ? 'JS: undici'
        : fn.startsWith('RegExp:')
          ? 'regular expressions'
          : 'JS: Node and other';
  if (GC.test(fn)) return 'GC (left out)';
  if (COMPILER.test(fn) && !fn.includes('JsonParser')) return 'compiler (left out)';
  if (fn.startsWith('Builtins_')) return 'V8 builtins';
  return 'native (V8 runtime, Node, libc)';
}
// (`__popcountdi2`: libgcc's popcount, which V8's heap page accounting calls; ~0 in one run, 1.4k a request in the next.
// `SizeFromMap`, `RelocIterator`: the marker's walk over objects and code, 1.9k and 1.1k a request in a run with a major GC.)
const GC =
  /__popcountdi2|SizeFromMap|RelocIterator|Scaveng|IterateObjectCache|Marking|Marker|Sweep|Evacuat|Pretenur|heap::|Heap::|::GC|GCTracer|Compactor|MemoryAllocator|Remembered|SlotSet|MemoryChunk|PagedSpace|NewSpace|SemiSpace|IteratePointers|BodyDescriptor|MinorMC|MarkCompact|LargeObjectSpace|FreeList|Worklist|cppgc/;
const COMPILER =
  /compiler::|Zone|Rb_tree|maglev|baseline::|interpreter::|Parser|Scanner|Compile|Turbofan|SourcePosition|Deoptimiz/;
const LEFT_OUT = new Set(['GC (left out)', 'compiler (left out)']);

/**
 * Self cost by function name, from a callgrind dump (name compression, call
 * lines skipped): instructions, or another of its events (`I1mr`, ...).
 */
function selfCounts(/** @type {string} */ file, event = 'Ir') {
  const text = readFileSync(file, 'latin1');
  const events = /^events:\s*(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? ['Ir'];
  // A cost line is a position, then one number an event (trailing zeros may be left out).
  const column = events.indexOf(event) + 1;
  if (column === 0) throw new Error(`the dump has no ${event} (events: ${events.join(' ')})`);
  /** @type {Map<string, string>} */
  const ids = new Map();
  /** @type {Map<string, number>} */
  const self = new Map();
  const nameOf = (/** @type {string} */ token) => {
    const m = /^\((\d+)\)(?:\s+(.*))?$/.exec(token);
    if (!m) return token;
    if (m[2] !== undefined) ids.set(/** @type {string} */ (m[1]), m[2]);
    return ids.get(/** @type {string} */ (m[1])) ?? token;
  };
  let fn = '';
  let callLine = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) fn = nameOf(line.slice(3).trim());
    else if (line.startsWith('cfn=')) nameOf(line.slice(4).trim());
    else if (line.startsWith('calls=')) callLine = true;
    else if (/^[0-9+\-*]/.test(line)) {
      // The line after `calls=` holds the call's inclusive cost: not this function's own.
      if (callLine) callLine = false;
      else {
        const n = Number(line.split(' ')[column] ?? 0);
        if (Number.isFinite(n)) self.set(fn, (self.get(fn) ?? 0) + n);
      }
    }
  }
  return self;
}

/** JIT functions (callgrind names them by address) named from V8's perf map. */
function nameJit(/** @type {Map<string, number>} */ self, /** @type {string} */ mapFile) {
  const ranges = existsSync(mapFile)
    ? readFileSync(mapFile, 'utf8')
        .split('\n')
        .map((l) => l.split(' '))
        .filter((p) => p.length >= 3)
        .map((p) => ({
          start: Number.parseInt(/** @type {string} */ (p[0]), 16),
          size: Number.parseInt(/** @type {string} */ (p[1]), 16),
          name: p.slice(2).join(' '),
        }))
        .sort((a, b) => a.start - b.start)
    : [];
  const find = (/** @type {number} */ addr) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = /** @type {{ start: number, size: number, name: string }} */ (ranges[mid]);
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.start + r.size) lo = mid + 1;
      else return r.name;
    }
    return undefined;
  };
  /** @type {Map<string, number>} */
  const named = new Map();
  for (const [fn, n] of self) {
    // callgrind names a recursive function's deeper calls `name'2`, `name'3`: the same function.
    const m = /^0x([0-9a-f]+)(?:'\d+)?$/i.exec(fn);
    // V8 code names carry a tier mark (`*` optimised, `^` baseline, `~` interpreted): the function is one.
    const name = m
      ? (find(Number.parseInt(/** @type {string} */ (m[1]), 16)) ?? 'JIT (unnamed)')
      : fn.replace(/'\d+$/, '');
    // Builds in different folders (this checkout's dist/, a candidate's) name their functions alike.
    const key = name
      .replace(/^(JS:)[*^~+]/, '$1')
      .replace(/\S*\/node_modules\//, '')
      .replace(candidate ? `file://${candidate}/` : /^$/, 'dist/')
      .replace(`file://${ROOT}dist/`, 'dist/');
    named.set(key, (named.get(key) ?? 0) + n);
  }
  return named;
}

/** Sends `n` requests, `concurrency` at a time, and reads every answer to its end. */
async function drive(/** @type {string} */ origin, /** @type {string[]} */ headers, /** @type {number} */ n) {
  const pool = new Pool(origin, { connections: concurrency });
  const body = requestBody({ ...scenario, clientUsage: values['client-usage'] });
  let sent = 0;
  let failed = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
      await res.body.dump({ limit: Number.POSITIVE_INFINITY });
      if (res.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  if (failed > 0) throw new Error(`${failed} of ${n} requests failed`);
}

/** Starts one target under callgrind and returns its instructions a request, by function. */
async function count1(
  /** @type {string} */ name,
  /** @type {string} */ simOrigin,
  /** @type {string} */ tmp,
) {
  const port = /** @type {number} */ (await freePort());
  let args;
  if (name === 'bare')
    args = [join(BENCH, 'targets/bare-proxy.js'), '--port', String(port), '--upstream', simOrigin];
  else if (name === 'sheepdog' || name === 'sheepdog-nometrics' || name === 'candidate') {
    const file = join(tmp, `${name}.yaml`);
    const metrics = name !== 'sheepdog-nometrics';
    writeFileSync(file, sheepdogYaml({ port, simOrigin, metrics, slowBreaker: true }));
    args = [
      name === 'candidate' ? join(/** @type {string} */ (candidate), 'cli/main.js') : CLI,
      'start',
      '--config',
      file,
    ];
  } else throw new Error(`unknown target ${name} (bare, sheepdog, sheepdog-nometrics, candidate)`);
  const out = join(tmp, `callgrind.${name}`);
  const child = startProcess(name, {
    core: relayCore,
    command: 'valgrind',
    args: [
      '--tool=callgrind',
      ...(values['cache-sim'] ? ['--cache-sim=yes'] : []),
      '--smc-check=all-non-file', // JIT code is rewritten in place
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--perf-basic-prof',
      // The optimising compiler on the main thread: under callgrind, which runs one thread at a time ~50x
      // slower, background compile jobs lagged so far that functions still ran in the baseline tier after
      // the warm-up (their ICs counted as the request's work); compiled in line, the counted requests run
      // the code a real run settles on.
      '--no-concurrent-recompilation',
      // The flag also turns V8's own log on: keep its file out of the working folder.
      `--logfile=${join(tmp, `v8-${name}.log`)}`,
      '--no-logfile-per-isolate',
      ...args,
    ],
    env: { ...process.env, NODE_ENV: 'production' },
    logFile: join(tmp, `${name}.log`),
  });
  const pid = /** @type {number} */ (child.pid);
  await waitForPort(port, child, name, 180_000);
  const origin = `http://127.0.0.1:${port}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  say(`${name}: warming up with ${warm} requests under callgrind`);
  await drive(origin, Object.entries(headers).flat(), warm);
  execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
  say(`${name}: counting ${count} requests`);
  await drive(origin, Object.entries(headers).flat(), count);
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  await stopProcess(child, 30_000);
  const mapFile = `/tmp/perf-${pid}.map`;
  const named = nameJit(selfCounts(`${out}.1`), mapFile);
  // Misses in the work (GC and compiler left out, as for instructions), by event.
  const misses = values['cache-sim']
    ? Object.fromEntries(
        ['I1mr', 'D1mr', 'D1mw'].map((e) => {
          let n = 0;
          for (const [fn, m] of nameJit(selfCounts(`${out}.1`, e), mapFile))
            if (!LEFT_OUT.has(category(fn))) n += m;
          return [e, n / count];
        }),
      )
    : undefined;
  if (values.keep) {
    // For callgrind_annotate (who calls what): the counts and the map that names their JIT code.
    mkdirSync(values.keep, { recursive: true });
    copyFileSync(`${out}.1`, join(values.keep, `callgrind.${name}`));
    if (existsSync(mapFile)) copyFileSync(mapFile, join(values.keep, `perf-${name}.map`));
  }
  rmSync(mapFile, { force: true });
  /** @type {Record<string, number>} */
  const byCategory = {};
  /** @type {Record<string, number>} */
  const byFunction = {};
  for (const [fn, n] of named) {
    const c = category(fn);
    byCategory[c] = (byCategory[c] ?? 0) + n / count;
    byFunction[fn] = n / count;
  }
  const work = Object.entries(byCategory)
    .filter(([c]) => !LEFT_OUT.has(c))
    .reduce((a, [, n]) => a + n, 0);
  return { name, work, byCategory, byFunction, misses };
}

const k = (/** @type {number} */ n) => `${(n / 1000).toFixed(1)}k`;
await withSimulator('instructions', loadCore, async ({ tmpDir: tmp, simOrigin }) => {
  const results = [];
  for (const name of names) results.push(await count1(name, simOrigin, tmp));
  const base = results[0];
  say(
    `\ninstructions a request, ${scenario.id}${values['client-usage'] ? ', the client asking for usage' : ''} (${count} requests after ${warm}), callgrind:`,
  );
  const categories = [...new Set(results.flatMap((r) => Object.keys(r.byCategory)))].sort();
  say(`| | ${results.map((r) => r.name).join(' | ')} |`);
  say(`| --- | ${results.map(() => '---').join(' | ')} |`);
  for (const c of categories) say(`| ${c} | ${results.map((r) => k(r.byCategory[c] ?? 0)).join(' | ')} |`);
  say(
    `| **work** (all but GC and compiler) | ${results.map((r) => `**${k(r.work)}**${r === base ? '' : ` (x${(r.work / /** @type {typeof r} */ (base).work).toFixed(2)})`}`).join(' | ')} |`,
  );
  if (values['cache-sim']) {
    // Sized from the host's CPUID: I1 and D1 are the first-level instruction and data caches.
    say('\nfirst-level cache misses a request in the work (simulated by callgrind):');
    say(`| | ${results.map((r) => r.name).join(' | ')} |`);
    say(`| --- | ${results.map(() => '---').join(' | ')} |`);
    say(`| I1 (instruction) misses | ${results.map((r) => k(r.misses?.I1mr ?? Number.NaN)).join(' | ')} |`);
    say(
      `| D1 (data) misses, reads and writes | ${results.map((r) => k((r.misses?.D1mr ?? Number.NaN) + (r.misses?.D1mw ?? Number.NaN))).join(' | ')} |`,
    );
  }
  for (const r of results.slice(1)) {
    const b = /** @type {typeof r} */ (base);
    const fns = [...new Set([...Object.keys(r.byFunction), ...Object.keys(b.byFunction)])]
      .filter((fn) => !LEFT_OUT.has(category(fn)))
      .map((fn) => ({ fn, mine: r.byFunction[fn] ?? 0, theirs: b.byFunction[fn] ?? 0 }))
      .sort((x, y) => y.mine - y.theirs - (x.mine - x.theirs))
      .slice(0, Number(values.top));
    say(`\n${r.name} over ${b.name}, the functions that add the most (instructions a request):`);
    for (const f of fns)
      say(
        `${(f.mine - f.theirs).toFixed(0).padStart(8)}  ${f.mine.toFixed(0).padStart(8)} vs ${f.theirs.toFixed(0).padStart(8)}  ${f.fn.slice(0, 140)}`,
      );
  }
  const file = writeResultFile('instructions', {
    machine: machineInfo(),
    scenario: scenario.id,
    clientUsage: values['client-usage'],
    warm,
    count,
    concurrency,
    candidate,
    results: results.map((r) => ({
      ...r,
      // The file keeps each target's 200 largest functions, not every one.
      byFunction: Object.fromEntries(
        Object.entries(r.byFunction)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 200),
      ),
    })),
  });
  say(`results: ${file}`);
});
