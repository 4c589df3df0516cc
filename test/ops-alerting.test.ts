// The alerting half of the ops kit, end to end on loopback: a relay with two
// simulated providers under steady traffic, real Prometheus (1 s scrape and
// evaluation) and Alertmanager running the rendered kit with every duration
// scaled by 1/120, and a fake Slack/PagerDuty server. Faults are injected in
// the simulators; each scenario waits for the notification itself (no fixed
// sleeps) and measures the time from fault to notification, which
// docs/alerting.md reports.

import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingRules } from '../src/ops/recording.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import {
  alertmanagerAlerts,
  type OpsStack,
  type Received,
  slackText,
  slackTitle,
  startOpsStack,
} from './helpers/ops-stack.js';
import { query } from './helpers/prometheus.js';
import { eventually, startTestRelay, type TestRelay } from './helpers/relay.js';

let primary: Simulator;
let backup: Simulator;
let relay: TestRelay;
let relayClosed = false;
let stack: OpsStack;
let load: Load;
/** Seconds from fault (or recovery) to notification, per scenario; printed at the end for docs/alerting.md. */
const timings: Record<string, number> = {};
/** The percentages the notifications printed. */
const printed: Record<string, string> = {};

interface Load {
  sent: () => number;
  stop(): Promise<void>;
}

/** Steady open-loop traffic: `rps` requests a second, alternating models, half of them streamed. */
function startLoad(client: OpenAI, rps: number): Load {
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  const one = async (n: number): Promise<void> => {
    const model = n % 2 === 0 ? 'gpt-4.1' : 'deepseek-v3.2';
    const messages = [{ role: 'user' as const, content: `request ${n}` }];
    if (n % 4 >= 2) {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      for await (const _chunk of stream) {
        // drain
      }
    } else {
      await client.chat.completions.create({ model, messages });
    }
  };
  const timer = setInterval(() => {
    const p = one(sent++).catch(() => undefined);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }, 1000 / rps);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
    },
  };
}

const since = (t: number): number => Math.round((performance.now() - t) / 100) / 10;
/** The alert a notification is about: from the Slack title or the PagerDuty summary. */
const alertname = (r: Received): string | undefined =>
  /(Sheepdog\w+)/.exec(slackTitle(r) ?? r.body.payload?.summary ?? '')?.[1];
const isSlack = (r: Received, route: 'warnings' | 'critical', title: string): boolean =>
  r.path === `/slack/${route}` && (slackTitle(r) ?? '').startsWith(title);
const isPagerDuty = (r: Received, action: 'trigger' | 'resolve', alertname: string): boolean =>
  r.path === '/pagerduty' &&
  r.body.event_action === action &&
  (r.body.payload?.summary ?? '').startsWith(alertname);

beforeAll(async () => {
  primary = await startSimulator({ completionTokens: 8, faults: { latency_ms: 800 } });
  backup = await startSimulator({ completionTokens: 8, faults: { latency_ms: 800 } });
  relay = await startTestRelay(
    {
      upstreams: [
        // Streams wait up to 30 s for a first token (default 10 s, which would turn 12 s into timeouts).
        { name: 'primary', base_url: primary.url, timeouts: { first_token_ms: 30_000 } },
        { name: 'backup', base_url: backup.url, timeouts: { first_token_ms: 30_000 } },
      ],
      // One upstream per model and no retries, so the injected faults reach the clients (with a
      // second upstream Sheepdog routes around them, and nothing would alert). Slow calls are not
      // failures here: the seed's incident must show as latency, not as timeouts and an open breaker.
      routes: { 'gpt-4.1': { upstreams: ['primary'] }, 'deepseek-v3.2': { upstreams: ['backup'] } },
      retry: { max_attempts: 1 },
      hedging: { enabled: false },
      breaker: { slow_ms: 60_000 },
    },
    [],
    { metrics: true },
  );
  // One failed request per model before Prometheus starts: the error series exist from the first
  // scrape (at a constant 1), as on a relay that has been running for a while. Otherwise rate() would
  // measure the first errors of scenario 2 over their own few seconds of life, not over the whole
  // burn-rate window, and the fast burn would page as soon as the short window does.
  primary.setFaults({ error_rate: 1 });
  backup.setFaults({ error_rate: 1 });
  const warmup = relay.client();
  for (const model of ['gpt-4.1', 'deepseek-v3.2'])
    await expect(
      warmup.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toThrow();
  primary.setFaults({ error_rate: 0 });
  backup.setFaults({ error_rate: 0 });
  stack = await startOpsStack(relay.url.replace(/^http:\/\//, ''));
  load = startLoad(relay.client({ timeout: 60_000 }), 12);
  // Baseline: wait until Prometheus has evaluated latency and TTFT for both models.
  await eventually(async () => {
    const [latency, ttft] = await Promise.all([
      query(stack.prometheus.url, 'job_model:sheepdog_request_duration_seconds:p95_5m'),
      query(stack.prometheus.url, 'job_model:sheepdog_time_to_first_token_seconds:p95_5m'),
    ]);
    return latency.length === 2 && ttft.length === 2;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  await load?.stop();
  if (!relayClosed) await relay?.close();
  await primary?.close();
  await backup?.close();
  await stack?.stop();
  const start = stack?.receiver.received[0]?.at ?? 0;
  const timeline = stack?.receiver.received.map(
    (r) => `  +${((r.at - start) / 1000).toFixed(1)} s ${r.path} ${slackTitle(r) ?? r.body.event_action}`,
  );
  console.log(`notifications:\n${timeline?.join('\n')}`);
  // The figures docs/alerting.md quotes come from this line.
  console.log(`ops-alerting timings (s): ${JSON.stringify(timings)}; printed: ${JSON.stringify(printed)}`);
});

describe('alerting end to end (Prometheus + Alertmanager + fake Slack/PagerDuty)', () => {
  it('the seed incident: 0.8 s -> 12 s pages #incidents-critical and PagerDuty, the warning is inhibited, then resolves', async () => {
    const { receiver } = stack;
    const fault = performance.now();
    primary.setFaults({ latency_ms: 12_000 });

    const page = await receiver.waitFor(
      (r) => isSlack(r, 'critical', '🚨 CRITICAL: SheepdogCriticalLatency'),
      60_000,
      'critical latency page',
    );
    timings.latencyCritical = since(fault);
    const text = slackText(page);
    expect(page.body.channel).toBe('#incidents-critical');
    expect(text).toContain('*Alert:* p99 latency of gpt-4.1 above 10s');
    expect(text).toMatch(/The p99 request duration of model gpt-4\.1 is 1\d(\.\d+)?s over the last 5m/);
    expect(text).toMatch(/\*Firing since:\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // The seed printed `.EndsAt.Sub .StartsAt`: a negative duration for a firing alert.
    expect(text).not.toMatch(/-\d+h|Duration/);
    expect(text).toContain('runbook.md#criticallatency');
    const pd = await receiver.waitFor((r) => isPagerDuty(r, 'trigger', 'SheepdogCriticalLatency'), 10_000);
    expect(pd.body.routing_key).toBe('test-routing-key');
    expect(pd.body.links?.[0]?.href).toContain('runbook.md#criticallatency');

    // The p95 warning fires too, and Alertmanager holds it back while the critical fires.
    await eventually(async () => {
      const alerts = await alertmanagerAlerts(stack.alertmanager.url);
      return alerts.some(
        (a) =>
          a.labels.alertname === 'SheepdogHighLatency' &&
          a.labels.model === 'gpt-4.1' &&
          a.status.state === 'suppressed' &&
          a.status.inhibitedBy.length > 0,
      );
    }, 30_000);

    const recovery = performance.now();
    primary.setFaults({ latency_ms: 800 });
    const resolved = await receiver.waitFor(
      (r) => isSlack(r, 'critical', '✅ RESOLVED: SheepdogCriticalLatency'),
      60_000,
      'resolved message',
    );
    timings.latencyResolved = since(recovery);
    expect(slackText(resolved)).toMatch(/\*Resolved:\* .+ UTC, after \d+ s \(since \d\d:\d\d:\d\d UTC\)/);
    await receiver.waitFor((r) => isPagerDuty(r, 'resolve', 'SheepdogCriticalLatency'), 10_000);
    // Nothing else was notified: no timeouts, breakers or error alerts, just the latency page.
    const notified = new Set(receiver.received.map((r) => alertname(r)));
    expect([...notified]).toEqual(['SheepdogCriticalLatency']);
    // Inhibited throughout: no warning about the latency ever reached #alerts-monitoring.
    expect(receiver.received.filter((r) => isSlack(r, 'warnings', '[FIRING:1] SheepdogHighLatency'))).toEqual(
      [],
    );
  }, 120_000);

  it('10% 5xx: the error-rate warning and the fast-burn page print the percentage right', async () => {
    const { receiver } = stack;
    const fault = performance.now();
    primary.setFaults({ error_rate: 0.1, error_status: 500 });
    backup.setFaults({ error_rate: 0.1, error_status: 500 });

    const warning = await receiver.waitFor(
      (r) => isSlack(r, 'warnings', '[FIRING:1] SheepdogHighErrorRate'),
      60_000,
      'error-rate warning',
    );
    timings.errorRate = since(fault);
    expect(warning.body.channel).toBe('#alerts-monitoring');
    const ratio =
      /\*Description:\* (\d+(?:\.\d+)?)% of the requests to sheepdog failed over the last 5m/.exec(
        slackText(warning),
      );
    expect(ratio, slackText(warning)).not.toBeNull();
    // About 10% (a 4 s window of ~48 requests), printed as a percentage, not as "0.1%".
    expect(Number(ratio![1])).toBeGreaterThan(5);
    expect(Number(ratio![1])).toBeLessThan(25);
    printed.errorRate = `${ratio![1]}%`;

    const page = await receiver.waitFor(
      (r) => isSlack(r, 'critical', '🚨 CRITICAL: SheepdogErrorBudgetBurnFast'),
      60_000,
      'fast-burn page',
    );
    timings.burnRateFast = since(fault);
    const burn = /(\d+(?:\.\d+)?)% of requests failed over the last hour/.exec(slackText(page));
    expect(burn, slackText(page)).not.toBeNull();
    expect(Number(burn![1])).toBeGreaterThan(7.2);
    expect(Number(burn![1])).toBeLessThan(25);
    printed.burnRateFast = `${burn![1]}%`;
    await receiver.waitFor((r) => isPagerDuty(r, 'trigger', 'SheepdogErrorBudgetBurnFast'), 10_000);
    primary.setFaults({ error_rate: 0 });
    backup.setFaults({ error_rate: 0 });
  }, 120_000);

  it('every recording rule returns data after the traffic', async () => {
    const names = recordingRules(stack.options).map((r) => r.record);
    expect(names.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const name of names) if ((await query(stack.prometheus.url, name)).length === 0) empty.push(name);
    expect(empty).toEqual([]);
  });

  it('the relay is stopped: relay-down pages', async () => {
    await load.stop();
    const fault = performance.now();
    await relay.close();
    relayClosed = true;
    const page = await stack.receiver.waitFor(
      (r) => isSlack(r, 'critical', '🚨 CRITICAL: SheepdogRelayDown'),
      30_000,
      'relay-down page',
    );
    timings.relayDown = since(fault);
    expect(slackText(page)).toContain(`Prometheus cannot scrape ${relay.url.replace('http://', '')}`);
    await stack.receiver.waitFor((r) => isPagerDuty(r, 'trigger', 'SheepdogRelayDown'), 10_000);
  }, 60_000);
});
