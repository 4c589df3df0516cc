// The checked-in ops kit (ops/) against a fresh render and the real tools:
// promtool check/test, amtool check-config and routes. Every alert must have
// a promtool case where it fires and one where it must not; the seed's
// original rules are tested beside the fixed ones (ops/tests/seed_fixes.test.yml).

import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultKitOptions, metric } from '../src/ops/kit.js';
import { alertRulesFile } from '../src/ops/prometheus.js';
import { renderKit } from '../src/ops/render.js';
import { CLI } from './helpers/process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPS = join(ROOT, 'ops');
const REGENERATE =
  'npm run build && node dist/cli/main.js ops render && ' +
  'node dist/cli/main.js ops render --prefix holysheep --rules-only --out ops/tests/holysheep';

/** Runs a command; resolves with stdout+stderr and the exit code (never rejects on a non-zero exit). */
async function tool(command: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>;
}
interface PromtoolTests {
  rule_files: string[];
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }>;
  }>;
}

async function yamlFile<T>(path: string): Promise<T> {
  return parse(await readFile(join(ROOT, path), 'utf8')) as T;
}
function alertsOf(file: RuleFile): Array<Record<string, unknown>> {
  return file.groups.flatMap((g) => g.rules).filter((r) => 'alert' in r);
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sheepdog-ops-render-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the checked-in kit is the default render', () => {
  it('sheepdog ops render into a temp dir gives the files under ops/, byte for byte', async () => {
    const out = join(tmp, 'default');
    const { code, output } = await tool(process.execPath, [CLI, 'ops', 'render', '--out', out]);
    expect(code, output).toBe(0);
    const fixture = join(tmp, 'holysheep');
    const rules = await tool(process.execPath, [
      CLI,
      ...['ops', 'render', '--prefix', 'holysheep', '--rules-only', '--out', fixture],
    ]);
    expect(rules.code, rules.output).toBe(0);
    const differ: string[] = [];
    const compare = async (fresh: string, checkedIn: string, paths: string[]) => {
      for (const path of paths) {
        const [a, b] = await Promise.all([
          readFile(join(fresh, path), 'utf8'),
          readFile(join(checkedIn, path), 'utf8').catch(() => '<missing>'),
        ]);
        if (a !== b) differ.push(join(checkedIn, path).slice(ROOT.length));
      }
    };
    const files = renderKit(defaultKitOptions()).map((f) => f.path);
    expect(output.trim().split('\n')).toEqual(files.map((f) => join(out, f)));
    await compare(out, OPS, files);
    await compare(fixture, join(OPS, 'tests/holysheep'), [
      'prometheus/recording_rules.yml',
      'prometheus/alert_rules.yml',
    ]);
    expect(
      differ,
      `checked-in files differ from a fresh render; regenerate with:\n  ${REGENERATE}\n`,
    ).toEqual([]);
  });

  it('--check passes on ops/ and fails, naming the file, once one is edited', async () => {
    const ok = await tool(process.execPath, [CLI, 'ops', 'render', '--check']);
    expect(ok.code, ok.output).toBe(0);
    const copy = join(tmp, 'edited');
    await cp(OPS, copy, { recursive: true });
    await writeFile(join(copy, 'prometheus/alert_rules.yml'), '# edited by hand\n');
    const bad = await tool(process.execPath, [CLI, 'ops', 'render', '--check', '--out', copy]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('prometheus/alert_rules.yml');
  });
});

describe('Prometheus: promtool', () => {
  it('check config accepts prometheus.yml and both rule files it loads', async () => {
    const { code, output } = await tool('promtool', ['check', 'config', 'ops/prometheus/prometheus.yml']);
    expect(code, output).toBe(0);
    expect(output).toMatch(/SUCCESS: 2 rule files found/);
    expect(output).toMatch(/SUCCESS: \d+ rules found[\s\S]*SUCCESS: \d+ rules found/);
  });

  it('check rules accepts the kit, the holysheep kit and the seed rules', async () => {
    const { code, output } = await tool('promtool', [
      'check',
      'rules',
      'ops/prometheus/recording_rules.yml',
      'ops/prometheus/alert_rules.yml',
      'ops/tests/holysheep/prometheus/recording_rules.yml',
      'ops/tests/holysheep/prometheus/alert_rules.yml',
      'ops/tests/seed_alert_rules.yml',
    ]);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/FAILED/);
  });

  it('test rules: every case of ops/tests passes', async () => {
    const { code, output } = await tool('promtool', [
      'test',
      'rules',
      'ops/tests/alerts.test.yml',
      'ops/tests/seed_fixes.test.yml',
    ]);
    expect(code, output).toBe(0);
    expect(output.match(/SUCCESS/g)).toHaveLength(2);
  });

  it('every alert of the kit has a promtool case where it fires and one where it must not', async () => {
    const check = async (rulesPath: string, testsPath: string, only?: string[]) => {
      const names = alertsOf(await yamlFile<RuleFile>(rulesPath)).map((a) => String(a.alert));
      const tests = await yamlFile<PromtoolTests>(testsPath);
      const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
      const missing: string[] = [];
      for (const name of only ?? names) {
        expect(names).toContain(name);
        const own = cases.filter((c) => c.alertname === name);
        // A firing case must include an alert of the kit (its alerts carry inhibit_group).
        if (!own.some((c) => c.exp_alerts.some((a) => 'inhibit_group' in a.exp_labels)))
          missing.push(`${name}: fires`);
        if (!own.some((c) => c.exp_alerts.every((a) => !('inhibit_group' in a.exp_labels))))
          missing.push(`${name}: silent`);
      }
      return missing;
    };
    expect(await check('ops/prometheus/alert_rules.yml', 'ops/tests/alerts.test.yml')).toEqual([]);
    // The seed's seven, fixed (its outage rule became RelayDown + NoSuccessfulRequests; the rate-limit
    // rule, requests and tokens), in the seed-compatible kit beside the seed's own rules.
    const seedSeven = [
      'HighLatency',
      'CriticalLatency',
      'HighErrorRate',
      'RelayDown',
      'NoSuccessfulRequests',
      'TokenSpike',
      'RateLimitRequestsLow',
      'RateLimitTokensLow',
      'RequestSaturation',
    ].map((n) => `HolySheep${n}`);
    const seedTests = await yamlFile<PromtoolTests>('ops/tests/seed_fixes.test.yml');
    expect(seedTests.rule_files).toContain('seed_alert_rules.yml');
    const seedCases = seedTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of seedSeven)
      expect(
        seedCases.some(
          (c) => c.alertname === name && c.exp_alerts.some((a) => 'inhibit_group' in a.exp_labels),
        ),
        name,
      ).toBe(true);
    // Each of the seed's own seven alerts is exercised there too.
    const seedAlerts = alertsOf(await yamlFile<RuleFile>('ops/tests/seed_alert_rules.yml')).map((a) =>
      String(a.alert),
    );
    expect(seedAlerts).toHaveLength(7);
    for (const name of seedAlerts)
      expect(
        seedCases.some((c) => c.alertname === name),
        name,
      ).toBe(true);
  });

  it('every alert has severity, service, inhibit_group, summary, description and a runbook anchor that exists', async () => {
    const runbook = await readFile(join(ROOT, 'docs/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const path of ['ops/prometheus/alert_rules.yml', 'ops/tests/holysheep/prometheus/alert_rules.yml']) {
      const alerts = alertsOf(await yamlFile<RuleFile>(path));
      expect(alerts.length).toBeGreaterThanOrEqual(20);
      for (const alert of alerts) {
        const labels = alert.labels as Record<string, string>;
        const annotations = alert.annotations as Record<string, string>;
        expect(['warning', 'critical'], String(alert.alert)).toContain(labels.severity);
        expect(labels.service, String(alert.alert)).toMatch(/^(sheepdog|holysheep-relay)$/);
        expect(labels.inhibit_group).toMatch(/^(latency|availability|capacity|cost|meta)$/);
        expect(annotations.summary).toBeTruthy();
        expect(annotations.description).toBeTruthy();
        const anchor = /docs\/runbook\.md#([a-z]+)$/.exec(annotations.runbook_url ?? '')?.[1];
        expect(anchor && anchors.has(anchor), `${String(alert.alert)}: ${annotations.runbook_url}`).toBe(
          true,
        );
      }
    }
  });
});

describe('Alertmanager: amtool', () => {
  const config = 'ops/alertmanager/alertmanager.yml';

  it('check-config accepts the config and its template file', async () => {
    const { code, output } = await tool('amtool', ['check-config', config]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/1 inhibit rules/);
    expect(output).toMatch(/2 receivers/);
    expect(output).toMatch(/1 templates/);
  });

  it.each([
    ['severity=critical', 'critical'],
    ['severity=warning', 'slack-warnings'],
    ['alertname=Unlabelled', 'slack-warnings'],
  ])('routes %s to %s', async (labels, receiver) => {
    const { code, output } = await tool('amtool', [
      'config',
      'routes',
      'test',
      `--config.file=${config}`,
      labels,
    ]);
    expect(code, output).toBe(0);
    expect(output.split('\n')[0]!.trim()).toBe(receiver);
  });

  it('reads every secret from a file and inlines none', async () => {
    const text = await readFile(join(ROOT, config), 'utf8');
    const am = parse(text) as {
      receivers: Array<{
        name: string;
        slack_configs?: Array<Record<string, unknown>>;
        pagerduty_configs?: Array<Record<string, unknown>>;
      }>;
      inhibit_rules: Array<{ equal: string[] }>;
    };
    const byName = Object.fromEntries(am.receivers.map((r) => [r.name, r]));
    expect(byName['slack-warnings']!.slack_configs![0]).toMatchObject({
      channel: '#alerts-monitoring',
      send_resolved: true,
      api_url_file: '/etc/alertmanager/secrets/slack-alerts-monitoring.url',
    });
    expect(byName.critical!.slack_configs![0]).toMatchObject({
      channel: '#incidents-critical',
      send_resolved: true,
      api_url_file: '/etc/alertmanager/secrets/slack-incidents-critical.url',
    });
    expect(byName.critical!.pagerduty_configs![0]).toMatchObject({
      send_resolved: true,
      routing_key_file: '/etc/alertmanager/secrets/pagerduty-routing-key',
    });
    expect(text).not.toMatch(/^\s*(api_url|routing_key|service_key|auth_password):/m);
    expect(text).not.toMatch(/hooks\.slack\.com/);
    // The seed inhibited on [alertname, service]: a critical and a warning never share an alertname.
    expect(am.inhibit_rules[0]!.equal).toEqual(['service', 'inhibit_group']);
  });
});

describe('the render is generated from the metric definitions', () => {
  it('a family the profile does not export fails the render, not the alert', () => {
    expect(metric(defaultKitOptions(), 'requests')).toBe('sheepdog_requests_total');
    expect(metric(defaultKitOptions({ prefix: 'holysheep' }), 'rateLimitRemainingTokens')).toBe(
      'holysheep_rate_limit_remaining_tokens',
    );
    // A seed-profile-only family under the full profile, and a renamed key.
    expect(() => metric(defaultKitOptions(), 'rateLimitRemainingTokens')).toThrow(/not exported/);
    expect(() => metric(defaultKitOptions(), 'request_total')).toThrow(/not exported/);
  });

  it('--prefix, --job and threshold flags reach the rules', async () => {
    const out = join(tmp, 'flags');
    const { code, output } = await tool(process.execPath, [
      CLI,
      ...['ops', 'render', '--prefix', 'my_relay', '--job', 'relay-eu', '--slo', '0.999'],
      ...['--latency-p95', '3', '--cost-budget-usd-per-hour', '25', '--warning-for', '10m', '--out', out],
    ]);
    expect(code, output).toBe(0);
    const rules = await readFile(join(out, 'prometheus/alert_rules.yml'), 'utf8');
    expect(rules).toContain('alert: MyRelayHighLatency');
    expect(rules).toContain('job_model:my_relay_request_duration_seconds:p95_5m{job="relay-eu"} > 3');
    expect(rules).toContain('(14.4 * 0.001)');
    expect(rules).toContain('> 25');
    expect(rules).toContain('for: 10m');
    expect(rules).toContain('service: relay-eu');
    const check = await tool('promtool', ['check', 'config', join(out, 'prometheus/prometheus.yml')]);
    expect(check.code, check.output).toBe(0);
    const bad = await tool(process.execPath, [CLI, 'ops', 'render', '--slo', '99.5', '--out', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/ratio between 0 and 1/);
  });

  it('the seed-compatible kit keeps the seed names and label sets', () => {
    const rules = alertRulesFile(defaultKitOptions({ prefix: 'holysheep' }));
    expect(rules).toContain('alert: HolySheepHighLatency');
    expect(rules).toContain('service: holysheep-relay');
    // The seed profile has no outcome label: errors are 5xx, as in the seed.
    expect(rules).not.toContain('outcome');
  });
});
