// Issue 4: no empty panel ships. Two real relays (prefix sheepdog with the
// full label profile, prefix holysheep with the seed profile), each in front
// of two simulators, take every kind of traffic (JSON, streams, a hedge, a cut
// stream, upstream 5xx with failover, an open breaker, 503s, an unpriced
// model, rate-limit headers); a real Prometheus scrapes both every second and
// evaluates the kit's recording rules. Then every target of every dashboard,
// with its variables substituted as Grafana would, is run as a range query
// over the traffic and must return data: once with "All" selected and once
// with explicit model and upstream values (which also proves each filtered
// label exists on the family it filters).

import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { renderGrafana } from '../src/ops/grafana/index.js';
import { defaultKitOptions, type KitOptions } from '../src/ops/kit.js';
import { recordingRulesFile } from '../src/ops/prometheus.js';
import { type Simulator, startSimulator } from '../src/simulator/index.js';
import { dashboardsOf, hasData, queryRange, substitute, targetsOf } from './helpers/dashboards.js';
import { query, startPrometheus, type ToolProcess } from './helpers/prometheus.js';
import { startTestRelay, type TestRelay } from './helpers/relay.js';

const PRICED = 'gpt-4.1';
const UNPRICED = 'gpt-4o-mini';
const PRIMARY_ONLY = 'deepseek-v3.2';
const MODELS = [PRICED, UNPRICED, PRIMARY_ONLY];

interface Stack {
  kit: KitOptions;
  primary: Simulator;
  backup: Simulator;
  relay: TestRelay;
}

async function startStack(prefix: string): Promise<Stack> {
  // Rules at 1/60 of their shipped windows (5m -> 5s), on a 1 s scrape.
  const kit = defaultKitOptions({
    prefix,
    scrapeInterval: '1s',
    evaluationInterval: '1s',
    timeScale: 1 / 60,
  });
  const primary = await startSimulator({ seed: 1 });
  const backup = await startSimulator({ seed: 2 });
  const config: ConfigInput = {
    upstreams: [
      { name: 'primary', base_url: primary.url },
      { name: 'backup', base_url: backup.url },
    ],
    routes: { [PRIMARY_ONLY]: { upstreams: ['primary'] } },
    breaker: { open_ms: 800 },
    hedging: { enabled: true, delay_ms: 250 },
    metrics: { prefix },
  };
  const relay = await startTestRelay(config, [], { metrics: true });
  return { kit, primary, backup, relay };
}

/** One chat request, read to its end; a failure is an outcome here, never a throw. */
async function chat(client: OpenAI, model: string, stream: boolean): Promise<void> {
  const messages = [{ role: 'user' as const, content: `hello ${model}` }];
  try {
    if (stream) {
      const s = await client.chat.completions.create({ model, messages, stream: true });
      for await (const _chunk of s) {
      }
    } else {
      await client.chat.completions.create({ model, messages });
    }
  } catch {
    // 5xx, 503 and cut streams are part of the traffic.
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once the relay's own /metrics matches `pattern` (the event a traffic phase waits for). */
async function untilExported(relay: TestRelay, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(await (await fetch(`${relay.url}/metrics`)).text())) {
    if (Date.now() > deadline) throw new Error(`relay never exported ${pattern}`);
    await pause(50);
  }
}

/**
 * Every kind of traffic the dashboards show, over a steady background of JSON and stream requests (10/s).
 * Each fault phase lasts until the relay has exported what it causes, then a second more of traffic.
 */
async function drive(stack: Stack): Promise<void> {
  const { relay, primary, kit } = stack;
  const client = relay.client();
  let running = true;
  let i = 0;
  const background = (async () => {
    const inFlight: Promise<void>[] = [];
    while (running) {
      inFlight.push(chat(client, PRICED, i++ % 2 === 1));
      await pause(100);
    }
    await Promise.all(inFlight);
  })();
  // Healthy traffic, plus a model missing from the price table.
  await Promise.all([chat(client, UNPRICED, false), chat(client, UNPRICED, true), pause(1_500)]);
  // A slow primary: requests are hedged on the backup after 250 ms.
  primary.setFaults({ latency_ms: 700 });
  await untilExported(relay, new RegExp(`^${kit.prefix}_hedges_total\\{`, 'm'));
  // A stream cut after it began: a stream_cut request and estimated usage.
  primary.setFaults({ latency_ms: 0, cut_stream_after: 2 });
  await Promise.all([chat(client, PRICED, true), chat(client, PRICED, true)]);
  await untilExported(relay, new RegExp(`^${kit.prefix}_estimated_cost_usd_total\\{`, 'm'));
  // Primary 500s: gpt-4.1 fails over to the backup; the primary-only model gets 5xx, then 503s once its breaker opens.
  primary.setFaults({ cut_stream_after: 0, error_rate: 1 });
  for (let n = 0; n < 8; n++) await chat(client, PRIMARY_ONLY, false);
  await untilExported(relay, new RegExp(`^${kit.prefix}_failovers_total\\{`, 'm'));
  await untilExported(relay, new RegExp(`^${kit.prefix}_circuit_breaker_state\\{.*state="open".* 1$`, 'm'));
  await pause(1_000);
  // Recovery.
  primary.clearFaults();
  await Promise.all([chat(client, PRIMARY_ONLY, false), pause(1_000)]);
  running = false;
  await background;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

describe('every dashboard panel returns data from a real Prometheus after real traffic', () => {
  let stacks: Stack[] = [];
  let prometheus: ToolProcess | undefined;
  let startS = 0;
  let endS = 0;

  beforeAll(async () => {
    stacks = await Promise.all([startStack('sheepdog'), startStack('holysheep')]);
    const files: Record<string, string> = {};
    const jobs = stacks.map((s, n) => {
      files[`recording_${n}.yml`] = recordingRulesFile(s.kit);
      return {
        job_name: s.kit.job,
        static_configs: [{ targets: [s.relay.url.replace('http://', '')] }],
      };
    });
    files['prometheus.yml'] = JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: Object.keys(files),
      scrape_configs: jobs,
    });
    prometheus = await startPrometheus(files);
    const url = prometheus.url;
    await waitFor(
      async () => (await query(url, 'up == 1')).length === stacks.length,
      'Prometheus to scrape both relays',
    );
    startS = Math.floor(Date.now() / 1000);
    await Promise.all(stacks.map(drive));
    const trafficEndS = Date.now() / 1000;
    // The data is complete once a scrape that began after the traffic, and a rule evaluation after it, are stored.
    for (const s of stacks) {
      const recorded = `job:${s.kit.prefix}_request_errors:ratio_rate5m{job="${s.kit.job}"}`;
      await waitFor(
        async () =>
          (await query(url, `timestamp(up{job="${s.kit.job}"}) > ${trafficEndS}`)).length === 1 &&
          (await query(url, `timestamp(${recorded}) > ${trafficEndS + 1}`)).length === 1,
        `a scrape and a rule evaluation after the traffic (${s.kit.job})`,
      );
    }
    endS = Math.ceil(Date.now() / 1000);
  }, 80_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const s of stacks) {
      await s.relay.close();
      await s.primary.close();
      await s.backup.close();
    }
  });

  it.each([
    ['sheepdog', 'full'],
    ['holysheep', 'seed'],
  ])(
    'prefix %s (%s label profile): every target, All selected and explicit values',
    async (prefix, profile) => {
      const stack = stacks.find((s) => s.kit.prefix === prefix)!;
      expect(stack.kit.profile).toBe(profile);
      const dashboards = dashboardsOf(renderGrafana(stack.kit));
      expect(dashboards.map((d) => d.uid)).toEqual([`${prefix}-overview`, `${prefix}-upstreams`]);
      const builtins = {
        __rate_interval: '4s', // Grafana: max(4 x scrape interval, step + scrape interval) with a 1 s scrape
        __interval: '1s',
        __range: `${endS - startS}s`,
        job: stack.kit.job,
      };
      const selections = {
        all: { ...builtins, model: '.*', upstream: '.*' },
        explicit: { ...builtins, model: `(${MODELS.join('|')})`, upstream: '(primary|backup)' },
      };
      const empty: string[] = [];
      let checked = 0;
      for (const dashboard of dashboards) {
        for (const target of targetsOf(dashboard)) {
          for (const [selection, values] of Object.entries(selections)) {
            const promql = substitute(target.expr, values);
            const data = target.instant
              ? (await query(prometheus!.url, `${promql}`)).map((s) => ({
                  metric: s.metric,
                  values: [s.value],
                }))
              : await queryRange(prometheus!.url, promql, startS, endS);
            if (!hasData(data))
              empty.push(`${target.dashboard} / ${target.panel} / ${target.refId} (${selection}): ${promql}`);
            checked++;
          }
        }
      }
      expect(empty).toEqual([]);
      expect(checked).toBeGreaterThan(70);
    },
  );

  it('the recorded series the dashboards read are evaluated without errors', async () => {
    const res = await fetch(`${prometheus!.url}/api/v1/rules?type=record`);
    const body = (await res.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const exprs = stacks
      .flatMap((s) => dashboardsOf(renderGrafana(s.kit)).flatMap(targetsOf))
      .map((t) => t.expr);
    const read = body.data.groups
      .flatMap((g) => g.rules)
      .filter((rule) => exprs.some((expr) => expr.includes(`${rule.name}{`)));
    expect(read.length).toBe(6); // 5m, 1h and 6h error ratios, for each prefix
    expect(read.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  });
});
