// The report in two forms from the same rows: a terminal table and Markdown
// for docs/benchmarks.md.

import { INTERLEAVE_SLOT_MS } from './measure.js';

/** @param {number | undefined} x @param {number} digits */
const num = (x, digits) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** "1234 ±3%": median and half the min-max range, relative. @param {any} s @param {number} digits */
function spread(s, digits) {
  if (!s || !Number.isFinite(s.median)) return '-';
  if (s.n < 2 || s.median === 0) return num(s.median, digits);
  const half = (100 * (s.max - s.min)) / 2 / Math.abs(s.median);
  return `${num(s.median, digits)} ±${half.toFixed(0)}%`;
}

/** "+0.123 (0.101..0.140)": a paired difference, median with its range. @param {any} s */
function added(s) {
  if (!s || !Number.isFinite(s.median)) return '-';
  const sign = (/** @type {number} */ x) => (x >= 0 ? '+' : '');
  if (s.n < 2) return `${sign(s.median)}${num(s.median, 3)}`;
  return `${sign(s.median)}${num(s.median, 3)} (${num(s.min, 3)}..${num(s.max, 3)})`;
}

/** @param {any} s */
const ratio = (s) => (s && Number.isFinite(s.median) ? `${(100 * s.median).toFixed(0)}%` : '-');

const MAIN_COLUMNS = [
  'scenario',
  'target',
  'req/s',
  'p50 ms',
  'p99 ms',
  'added p50 ms',
  'added p99 ms',
  'added p99 pooled',
  'added TTFT p50',
  'added TTFT p99',
  'CPU s/1k req',
  'relay core',
  'peak RSS MB',
  'errors',
  'noise',
  'req/s vs bare',
  'per CPU-s vs bare',
];

/** @param {any[]} summary */
function mainRows(summary) {
  return summary.map((r) => [
    r.scenario,
    r.target,
    spread(r.rps, 0),
    spread(r.p50, 3),
    spread(r.p99, 3),
    added(r.addedP50),
    added(r.addedP99),
    r.addedPooled ? `${r.addedPooled.p99 >= 0 ? '+' : ''}${num(r.addedPooled.p99, 3)}` : '-',
    added(r.addedTtfbP50),
    added(r.addedTtfbP99),
    spread(r.cpuSPer1k, 3),
    r.relayUtil && Number.isFinite(r.relayUtil.median) ? `${(100 * r.relayUtil.median).toFixed(0)}%` : '-',
    spread(r.peakRssMb, 0),
    String(r.errors),
    r.otherLoad && Number.isFinite(r.otherLoad.median) ? `${(100 * r.otherLoad.median).toFixed(0)}%` : '-',
    ratio(r.rpsVsBare),
    ratio(r.cpuVsBare),
  ]);
}

const GC_COLUMNS = [
  'scenario',
  'target',
  'young-generation GC ms/1k req',
  'old-generation GC ms/1k req',
  'CPU s/1k req',
];

/** Rows of the targets that told their GC time (lib/gc-scrape.js). @param {any[]} summary */
function gcRows(summary) {
  return summary
    .filter((r) => r.gcMinorMsPer1k)
    .map((r) => [
      r.scenario,
      r.target,
      spread(r.gcMinorMsPer1k, 1),
      spread(r.gcMajorMsPer1k, 1),
      spread(r.cpuSPer1k, 3),
    ]);
}

const MEMORY_COLUMNS = [
  'target',
  'open at end',
  'hold s',
  'baseline MB',
  'settled MB',
  'end MB',
  'peak MB',
  'growth MB',
  'trend MB',
  'slope MB/min',
  'KB/stream',
  'chunks/stream in hold',
  'relay CPU %',
  'errors',
];

/** @param {any[]} memory */
function memoryRows(memory) {
  return memory.map((m) => [
    m.target,
    String(m.openAtEnd),
    String(m.holdS),
    num(m.baselineMb, 0),
    num(m.settledMb, 0),
    num(m.endMb, 0),
    num(m.peakMb, 0),
    num(m.growthMb, 1),
    num(m.trendMb, 1),
    num(m.slopeMbPerMin, 1),
    num(m.perStreamKb, 1),
    String(m.chunksPerStreamDuringHold),
    num(m.holdCpuPercent, 0),
    String(
      Object.values(m.errors).reduce((a, b) => /** @type {number} */ (a) + /** @type {number} */ (b), 0),
    ),
  ]);
}

const BAR_COLUMNS = ['bar', 'target', 'measured', 'holds', 'detail'];

/** @param {any[]} bars */
function barRows(bars) {
  return bars.map((b) => [
    b.bar,
    b.target,
    b.value,
    b.pass === undefined
      ? b.value.startsWith('unresolved')
        ? 'unresolved'
        : 'pending'
      : b.pass
        ? 'yes'
        : 'NO',
    b.detail,
  ]);
}

/** @param {string[]} head @param {string[][]} rows */
export function textTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((c, i) => (c ?? '').padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** @param {string[]} head @param {string[][]} rows */
function markdownTable(head, rows) {
  const esc = (/** @type {string} */ c) => c.replace(/\|/g, '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** "candidate against sheepdog" lines, when a candidate build ran. @param {any[]} summary */
export function candidateLines(summary) {
  const sign = (/** @type {number} */ x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)}%`;
  /** @param {any} s */
  const range = (s) => `${sign(s.median)} (${sign(s.min)}..${sign(s.max)})`;
  return summary
    .filter((r) => r.candidateVsSheepdog)
    .map(
      (r) =>
        `candidate vs sheepdog, ${r.scenario}: req/s ${range(r.candidateVsSheepdog.rps)}, ` +
        `CPU per request ${range(r.candidateVsSheepdog.cpuPerRequest)}`,
    );
}

/** @param {any} result the whole result file */
export function terminalReport(result) {
  return [
    ...candidateLines(result.summary),
    textTable(MAIN_COLUMNS, mainRows(result.summary)),
    '',
    ...(gcRows(result.summary).length ? [textTable(GC_COLUMNS, gcRows(result.summary)), ''] : []),
    result.memory.length ? textTable(MEMORY_COLUMNS, memoryRows(result.memory)) : '',
    '',
    textTable(BAR_COLUMNS, barRows(result.bars)),
  ].join('\n');
}

/** @param {any} result */
export function machineLine(result) {
  const m = result.machine;
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Linux ${m.kernel}; Node ${m.node}; undici ${m.undici}; ${m.wrk ?? 'no wrk (Node driver for every step)'}`;
}

/** @param {any} result */
export function markdownReport(result) {
  const targets = result.targets
    .map((/** @type {any} */ t) => `- \`${t.name}\`: ${t.available ? t.note : `not run: ${t.note}`}`)
    .join('\n');
  return [
    `Run ${result.startedAt} (${result.durationS.toFixed(0)} s), commit \`${result.git.commit}\`${result.git.dirty ? ' with local changes' : ''}, file \`bench/results/${result.file}\`.`,
    '',
    `Machine: ${machineLine(result)}. Relay pinned to core ${result.options.relayCore}, simulator and load to core ${result.options.loadCore}; ${result.options.reps} repetitions, targets alternated.`,
    '',
    `Command: \`${result.command}\``,
    '',
    targets,
    '',
    ...candidateLines(result.summary).map((l) => `- ${l}`),
    '### The bar',
    '',
    markdownTable(BAR_COLUMNS, barRows(result.bars)),
    '',
    '### Every scenario',
    '',
    `Medians over the repetitions; \`±\` is half the min-max range; added figures are paired with \`direct\` in the same repetition (median and range). The fixed-rate steps load their targets interleaved, ${INTERLEAVE_SLOT_MS} ms slot by slot on one schedule, so a stall of the machine falls on all of them; \`added p99 pooled\` is the p99 of every repetition's requests together minus \`direct\`'s, the figure the latency bars are judged on. Latency in ms; CPU is the relay process only (utime + stime); \`relay core\` is how busy the relay kept its core during its own load; \`noise\` is the rest of the busy time of that core (other processes, interrupts; in interleaved steps, what none of the step's relays spent).`,
    '',
    markdownTable(MAIN_COLUMNS, mainRows(result.summary)),
    '',
    ...(gcRows(result.summary).length
      ? [
          '### Garbage collection inside Sheepdog',
          '',
          "From its own `/metrics` (`nodejs_gc_duration_seconds` over its `requests_total`), scraped before and after each step, warm-up included; medians over the repetitions. GC time is part of the CPU figure beside it; a rise in the young generation's share is the sign of requests kept alive past their end.",
          '',
          markdownTable(GC_COLUMNS, gcRows(result.summary)),
          '',
        ]
      : []),
    `### ${result.memory[0]?.concurrency ?? 2000} open streams`,
    '',
    result.memory.length ? markdownTable(MEMORY_COLUMNS, memoryRows(result.memory)) : '(not run)',
    '',
    '### Micro-benchmarks (`bench/micro`, pinned to the relay core)',
    '',
    result.micro?.length
      ? markdownTable(
          ['file', 'case', 'ns/op', 'ns per unit'],
          result.micro.map((/** @type {any} */ m) => [
            m.file,
            m.name,
            m.nsPerOp.toFixed(0),
            m.nsPerUnit === undefined ? '' : `${m.nsPerUnit.toFixed(0)} ns/${m.unit}`,
          ]),
        )
      : '(not run)',
  ].join('\n');
}
