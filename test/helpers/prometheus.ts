// Real Prometheus and Alertmanager as plain loopback processes for tests
// (Debian's `prometheus` and `prometheus-alertmanager` packages), plus a
// small query client. Each process is stopped by PID; storage lives in a
// temporary directory removed afterwards.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ToolProcess {
  url: string;
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

/** A free loopback port (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startTool(
  command: string,
  args: (dir: string, port: number) => string[],
  files: Record<string, string>,
): Promise<ToolProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'sheepdog-ops-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(command, args(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} not ready within 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    dir,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Prometheus with `prometheus.yml` (and any rule files) written into its own directory. */
export function startPrometheus(files: Record<string, string>): Promise<ToolProcess> {
  return startTool(
    'prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    files,
  );
}

/** Alertmanager with `alertmanager.yml` (and secret files) in its own directory; no gossip port. */
export function startAlertmanager(files: Record<string, string>): Promise<ToolProcess> {
  return startTool(
    'prometheus-alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    files,
  );
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant PromQL query; throws on a query error. */
export async function query(prometheusUrl: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`query failed: ${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

/** Firing or pending alerts as Prometheus sees them. */
export async function alerts(
  prometheusUrl: string,
): Promise<Array<{ labels: Record<string, string>; state: string; annotations: Record<string, string> }>> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await res.json()) as {
    data: {
      alerts: Array<{ labels: Record<string, string>; state: string; annotations: Record<string, string> }>;
    };
  };
  return body.data.alerts;
}
