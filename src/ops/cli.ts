// `sheepdog ops render`: writes the ops kit (Prometheus, alert rules,
// Alertmanager, dashboards, deploy files) for a metric prefix, job and thresholds.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './durations.js';
import {
  DEFAULT_THRESHOLDS,
  defaultKitOptions,
  type KitFile,
  type KitOverrides,
  type Thresholds,
} from './kit.js';
import { renderRules } from './prometheus.js';
import { renderKit } from './render.js';

type ThresholdKey = keyof Thresholds;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}
function ratio(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InvalidArgumentError('expected a ratio between 0 and 1');
  return n;
}
function duration(value: string): string {
  try {
    if (parseDuration(value) > 0) return value;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected a Prometheus duration, e.g. 30s, 5m, 1h');
}

/** One flag per threshold: [flag, key, help, parser]. */
const THRESHOLD_FLAGS: ReadonlyArray<[string, ThresholdKey, string, (v: string) => number | string]> = [
  [
    '--slo <ratio>',
    'sloAvailability',
    'availability SLO: share of requests that succeed (burn-rate alerts)',
    ratio,
  ],
  [
    '--latency-p95 <seconds>',
    'latencyP95Seconds',
    'warning when a model p95 request duration is above',
    positive,
  ],
  [
    '--latency-p99-critical <seconds>',
    'latencyP99CriticalSeconds',
    'critical when a model p99 is above',
    positive,
  ],
  [
    '--ttft-p95 <seconds>',
    'ttftP95Seconds',
    'warning when a model p95 time to first token is above',
    positive,
  ],
  [
    '--overhead-p95 <seconds>',
    'overheadP95Seconds',
    "warning when the relay's own p95 overhead is above",
    positive,
  ],
  [
    '--error-ratio <ratio>',
    'errorRatio',
    'warning when the share of failed requests over 5m is above',
    ratio,
  ],
  [
    '--tokens-per-hour <n>',
    'tokensPerHour',
    'warning when prompt + completion tokens in an hour exceed',
    positive,
  ],
  [
    '--cost-budget-usd-per-hour <usd>',
    'costBudgetUsdPerHour',
    'warning when spend per hour is above',
    positive,
  ],
  [
    '--rate-limit-requests <n>',
    'rateLimitHeadroomRequests',
    'warning when an upstream has fewer requests left',
    positive,
  ],
  [
    '--rate-limit-tokens <n>',
    'rateLimitHeadroomTokens',
    'warning when an upstream has fewer tokens left',
    positive,
  ],
  [
    '--active-requests <n>',
    'activeRequests',
    'warning when more requests are in flight on one instance',
    positive,
  ],
  [
    '--failover-ratio <ratio>',
    'failoverRatio',
    'warning when more requests fail over away from an upstream',
    ratio,
  ],
  ['--warning-for <duration>', 'warningFor', '`for:` of warnings', duration],
  ['--critical-for <duration>', 'criticalFor', '`for:` of critical latency alerts', duration],
  ['--down-for <duration>', 'downFor', '`for:` of relay-down, upstream-down and scrape alerts', duration],
  ['--zero-success-for <duration>', 'zeroSuccessFor', '`for:` of the no-successful-requests alert', duration],
];

interface RenderFlags {
  prefix: string;
  job?: string;
  service?: string;
  labelProfile?: 'seed' | 'full';
  out: string;
  relayTarget?: string;
  alertmanagerTarget?: string;
  scrapeInterval?: string;
  runbookUrl?: string;
  secretsDir?: string;
  timeScale?: number;
  rulesOnly?: boolean;
  check?: boolean;
  [threshold: string]: unknown;
}

export function kitOverrides(flags: RenderFlags): KitOverrides {
  const thresholds: Partial<Record<ThresholdKey, number | string>> = {};
  for (const [flag, key] of THRESHOLD_FLAGS) {
    const value = flags[new Option(flag).attributeName()];
    if (value !== undefined) thresholds[key] = value as number | string;
  }
  return {
    prefix: flags.prefix,
    job: flags.job,
    service: flags.service ?? flags.job,
    profile: flags.labelProfile,
    relayTarget: flags.relayTarget,
    alertmanagerTarget: flags.alertmanagerTarget,
    scrapeInterval: flags.scrapeInterval,
    evaluationInterval: flags.scrapeInterval,
    runbookUrl: flags.runbookUrl,
    secretsDir: flags.secretsDir,
    timeScale: flags.timeScale,
    thresholds: thresholds as Partial<Thresholds>,
  };
}

/** Writes `files` under `out`, or with `check` reports the ones that differ. Returns the differing paths. */
export async function writeKit(files: KitFile[], out: string, check = false): Promise<string[]> {
  const differ: string[] = [];
  for (const file of files) {
    const path = join(out, file.path);
    if (check) {
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current !== file.content) differ.push(file.path);
      continue;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
  }
  return differ;
}

export function registerOpsCommand(program: Command): void {
  const ops = program
    .command('ops')
    .description('The ops kit: Prometheus rules, Alertmanager, dashboards, deploy files.');
  const render = ops
    .command('render')
    .description(
      'Write the ops kit for a metric prefix, scrape job and thresholds (default: into ./ops).\n' +
        '`--prefix holysheep` writes the seed-compatible kit (job holysheep-relay, label profile seed).',
    )
    .option('--prefix <prefix>', 'metric prefix of the relay (metrics.prefix)', 'sheepdog')
    .option(
      '--job <job>',
      'Prometheus scrape job of the relay (default: sheepdog; holysheep-relay for holysheep)',
    )
    .option('--service <name>', '`service` label of every alert (default: the job)')
    .addOption(
      new Option('--label-profile <profile>', 'metrics.label_profile of the relay').choices(['seed', 'full']),
    )
    .option('-o, --out <dir>', 'output directory', 'ops')
    .option('--relay-target <host:port>', 'address Prometheus scrapes (default relay:5000)')
    .option('--alertmanager-target <host:port>', 'address of Alertmanager (default alertmanager:9093)')
    .option('--scrape-interval <duration>', 'scrape and rule evaluation interval (default 10s)', duration)
    .option('--runbook-url <url>', 'URL of docs/runbook.md the alerts link to (anchor appended)')
    .option(
      '--secrets-dir <dir>',
      'where Alertmanager reads its secret files (default /etc/alertmanager/secrets)',
    )
    .addOption(
      new Option('--time-scale <factor>', 'multiply every window, for: and Alertmanager wait (tests)')
        .argParser(positive)
        .hideHelp(),
    )
    .option('--rules-only', 'write only prometheus/recording_rules.yml and prometheus/alert_rules.yml')
    .option('--check', 'write nothing; exit 1 if a file under --out differs from a fresh render');
  for (const [flag, key, help, parse] of THRESHOLD_FLAGS)
    render.addOption(
      new Option(flag, `${help} (default ${String(DEFAULT_THRESHOLDS[key])})`).argParser(parse),
    );
  render.action(async (flags: RenderFlags) => {
    const options = defaultKitOptions(kitOverrides(flags));
    const files = flags.rulesOnly ? renderRules(options) : renderKit(options);
    const differ = await writeKit(files, flags.out, flags.check);
    if (flags.check) {
      if (differ.length === 0) {
        process.stdout.write(`${files.length} files under ${flags.out} match a fresh render\n`);
        return;
      }
      process.stderr.write(
        `differ from a fresh render:\n${differ.map((p) => `  ${join(flags.out, p)}`).join('\n')}\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${files.map((f) => join(flags.out, f.path)).join('\n')}\n`);
  });
}
