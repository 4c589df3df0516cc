// The ops kit running for real on loopback: Prometheus and Alertmanager
// (test/helpers/prometheus.ts) configured from a fresh render of the kit with
// short durations, plus a fake Slack/PagerDuty server recording what
// Alertmanager posts. Shared by the alerting and dashboard end-to-end tests.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderAlertmanager, SECRET_FILES } from '../../src/ops/alertmanager.js';
import { defaultKitOptions, type KitOptions, type KitOverrides } from '../../src/ops/kit.js';
import { renderPrometheus } from '../../src/ops/prometheus.js';
import { startAlertmanager, startPrometheus, type ToolProcess } from './prometheus.js';

/** One HTTP POST Alertmanager made to the fake receiver. */
export interface Received {
  /** `/slack/warnings`, `/slack/critical` or `/pagerduty`. */
  path: string;
  body: SlackMessage & PagerDutyEvent;
  /** performance.now() when it arrived. */
  at: number;
}

export interface SlackMessage {
  channel?: string;
  attachments?: Array<{ title?: string; text?: string; color?: string }>;
}

export interface PagerDutyEvent {
  routing_key?: string;
  event_action?: 'trigger' | 'resolve';
  dedup_key?: string;
  payload?: { summary?: string; severity?: string };
  links?: Array<{ href: string; text: string }>;
}

export interface FakeReceiver {
  url: string;
  received: Received[];
  /** Resolves with the first post (already received or to come) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (r: Received) => boolean, timeoutMs: number, what?: string): Promise<Received>;
  close(): Promise<void>;
}

/** A node:http server standing in for Slack incoming webhooks and the PagerDuty Events API v2. */
export async function startFakeReceiver(): Promise<FakeReceiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      let body: Received['body'] = {};
      try {
        body = JSON.parse(text) as Received['body'];
      } catch {
        // recorded as empty
      }
      received.push({ path: req.url ?? '', body, at: performance.now() });
      for (const wake of [...waiters]) wake();
      if (req.url?.startsWith('/pagerduty')) {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"success","message":"Event processed"}');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor(match, timeoutMs, what = 'notification') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = received.find(match);
          if (!found) return false;
          waiters.splice(waiters.indexOf(wake), 1);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wake), 1);
          const seen = received.map((r) => `${r.path}: ${slackTitle(r) ?? r.body.payload?.summary}`);
          reject(new Error(`no ${what} within ${timeoutMs} ms; received:\n${seen.join('\n')}`));
        }, timeoutMs);
        waiters.push(wake);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function slackTitle(r: Received): string | undefined {
  return r.body.attachments?.[0]?.title;
}
export function slackText(r: Received): string {
  return r.body.attachments?.[0]?.text ?? '';
}

/**
 * Kit options for a loopback test: 1 s scrape and evaluation, every duration scaled by `timeScale`
 * (windows never below 4 s), relay and Alertmanager on the given addresses.
 */
export function testKitOptions(overrides: KitOverrides = {}): KitOptions {
  return defaultKitOptions({
    scrapeInterval: '1s',
    evaluationInterval: '1s',
    timeScale: 1 / 120,
    ...overrides,
  });
}

export interface OpsStack {
  options: KitOptions;
  prometheus: ToolProcess;
  alertmanager: ToolProcess;
  receiver: FakeReceiver;
  stop(): Promise<void>;
}

/**
 * Renders the Prometheus and Alertmanager parts of the kit for `relayTarget` (`127.0.0.1:PORT`) and
 * starts them: Alertmanager posts Slack messages to `${receiver.url}/slack/{warnings,critical}` and
 * PagerDuty events to `${receiver.url}/pagerduty`, reading those URLs and the routing key from secret
 * files as it would in production.
 */
export async function startOpsStack(relayTarget: string, overrides: KitOverrides = {}): Promise<OpsStack> {
  const receiver = await startFakeReceiver();
  const secretsDir = await mkdtemp(join(tmpdir(), 'sheepdog-secrets-'));
  await writeFile(join(secretsDir, SECRET_FILES.slackWarnings), `${receiver.url}/slack/warnings\n`);
  await writeFile(join(secretsDir, SECRET_FILES.slackCritical), `${receiver.url}/slack/critical\n`);
  await writeFile(join(secretsDir, SECRET_FILES.pagerdutyRoutingKey), 'test-routing-key\n');

  const amOptions = testKitOptions({ ...overrides, secretsDir });
  const amFiles = Object.fromEntries(
    renderAlertmanager(amOptions).map((f) => [f.path.replace(/^alertmanager\//, ''), f.content]),
  );
  // The PagerDuty Events API URL is Alertmanager's global default; point it at the receiver.
  amFiles['alertmanager.yml'] = amFiles['alertmanager.yml']!.replace(
    /^global:\n/m,
    `global:\n  pagerduty_url: ${receiver.url}/pagerduty\n`,
  );
  const alertmanager = await startAlertmanager(amFiles);

  const options = testKitOptions({
    ...overrides,
    secretsDir,
    relayTarget,
    alertmanagerTarget: alertmanager.url.replace(/^http:\/\//, ''),
  });
  const promFiles = Object.fromEntries(
    renderPrometheus(options).map((f) => [f.path.replace(/^prometheus\//, ''), f.content]),
  );
  const prometheus = await startPrometheus(promFiles);
  return {
    options,
    prometheus,
    alertmanager,
    receiver,
    async stop() {
      await prometheus.stop();
      await alertmanager.stop();
      await receiver.close();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}

/** Alerts as Alertmanager holds them (with inhibition state). */
export async function alertmanagerAlerts(
  alertmanagerUrl: string,
): Promise<Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/alerts`);
  return (await res.json()) as Array<{
    labels: Record<string, string>;
    status: { state: string; inhibitedBy: string[] };
  }>;
}
