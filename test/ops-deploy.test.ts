// Issue 4: docker-compose.yml, validated by Debian's `docker-compose config`
// (with and without the demo profile) and its wiring checked against the rest
// of the kit; the relay config it mounts starts a real relay, and the compose
// and Dockerfile healthcheck one-liners are run against it.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { writeKit } from '../src/ops/cli.js';
import { hostPort } from '../src/ops/deploy/compose.js';
import { IMAGES } from '../src/ops/deploy/index.js';
import { PROMETHEUS_URL } from '../src/ops/grafana/index.js';
import { defaultKitOptions, type KitFile, type KitOptions } from '../src/ops/kit.js';
import { renderKit } from '../src/ops/render.js';
import { startRelay } from '../src/relay.js';
import { startSimulator } from '../src/simulator/index.js';
import { freePort } from './helpers/prometheus.js';

const ROOT = join(import.meta.dirname, '..');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  profiles?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<string | { published: number; target: number }>;
}

function compose(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnSync> {
  return spawnSync('docker-compose', ['-f', join(dir, 'docker-compose.yml'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
}

function dotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) vars[match[1]!] = match[2]!;
  }
  return vars;
}

const KITS: Array<[string, KitOptions]> = [
  ['sheepdog', defaultKitOptions()],
  ['holysheep', defaultKitOptions({ prefix: 'holysheep' })],
];

describe.each(KITS)('docker-compose.yml for prefix %s', (_prefix, kit) => {
  let root = '';
  let ops = '';
  let files: KitFile[] = [];
  const content = (path: string): string => files.find((f) => f.path === path)!.content;
  const services = (profileDemo: boolean): Record<string, ComposeService> => {
    const args = [
      '--env-file',
      join(ops, '.env.example'),
      ...(profileDemo ? ['--profile', 'demo'] : []),
      'config',
    ];
    const result = compose(ops, args);
    expect(result.stderr, 'docker-compose config').not.toMatch(/ERROR/);
    expect(result.status).toBe(0);
    return (parse(String(result.stdout)) as { services: Record<string, ComposeService> }).services;
  };
  const relayHost = hostPort(kit.relayTarget).host;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sheepdog-deploy-'));
    ops = join(root, 'ops');
    files = renderKit(kit);
    await writeKit(files, ops);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('validates with docker-compose config; the simulator runs only under the demo profile', () => {
    const plain = services(false);
    const demo = services(true);
    expect(Object.keys(demo).sort()).toEqual(
      ['alertmanager', 'grafana', 'prometheus', relayHost, 'simulator'].sort(),
    );
    // docker-compose 1.29's `config` lists every service whatever the profile; `--profiles` lists the profiles.
    expect(Object.keys(plain).sort()).toEqual(Object.keys(demo).sort());
    for (const [name, service] of Object.entries(plain))
      expect(service.profiles, name).toEqual(name === 'simulator' ? ['demo'] : undefined);
    const profiles = compose(ops, ['--env-file', join(ops, '.env.example'), 'config', '--profiles']);
    expect(String(profiles.stdout).trim().split('\n')).toEqual(['demo']);
  });

  it('refuses to start without a Grafana admin password', () => {
    const result = compose(ops, ['config']);
    expect(result.status).not.toBe(0);
    expect(String(result.stderr)).toMatch(/set GRAFANA_ADMIN_PASSWORD in \.env/);
  });

  it('pins every image, builds the relay and simulator from the repository Dockerfile, and health-checks every service', () => {
    const all = services(true);
    for (const [name, service] of Object.entries(all)) {
      expect(service.healthcheck?.test[0], name).toBe('CMD');
      if (service.build) {
        expect(service.build, name).toEqual({ context: root, dockerfile: 'Dockerfile' });
        expect(service.image).toBe(IMAGES.sheepdog);
      } else {
        expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
      }
    }
    expect(all.simulator?.command).toEqual(['simulate', '--host', '0.0.0.0', '--port', '5001']);
    expect(all.grafana?.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    expect(all.prometheus?.depends_on).toEqual({
      [relayHost]: { condition: 'service_started' },
      alertmanager: { condition: 'service_started' },
    });
  });

  it('mounts only files the kit renders, where the other parts expect them', () => {
    const all = services(true);
    const rendered = files.map((f) => f.path);
    for (const [name, service] of Object.entries(all)) {
      for (const volume of service.volumes ?? []) {
        const [source, target] = volume.split(':');
        if (!source!.startsWith('/')) continue; // a named volume
        expect(source!.startsWith(`${ops}/`), `${name}: ${volume}`).toBe(true);
        const path = source!.slice(ops.length + 1);
        expect(
          rendered.some((p) => p === path || p.startsWith(`${path}/`)),
          `${name}: ${path} is not rendered`,
        ).toBe(true);
        expect(target).toMatch(/^\//);
      }
    }
    // Prometheus scrapes the relay service on its container port, and sends to the Alertmanager service.
    const prometheusYml = parse(content('prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    const job = prometheusYml.scrape_configs.find((c) => c.job_name === kit.job)!;
    const [target] = job.static_configs[0]!.targets;
    expect(all[hostPort(target!).host]?.healthcheck?.test.join(' ')).toContain(
      `:${hostPort(target!).port}/healthz`,
    );
    const [am] = prometheusYml.alerting.alertmanagers[0]!.static_configs[0]!.targets;
    expect(all[hostPort(am!).host]?.image).toBe(IMAGES.alertmanager);
    // Grafana's datasource reaches the Prometheus service.
    expect(all[new URL(PROMETHEUS_URL).hostname]?.image).toBe(IMAGES.prometheus);
    // Every secret file alertmanager.yml reads is mounted from the secrets directory, and has a placeholder.
    const secretsVolume = all.alertmanager!.volumes!.find((v) => v.endsWith(`:${kit.secretsDir}:ro`));
    expect(secretsVolume).toBe(`${ops}/secrets.example:${kit.secretsDir}:ro`);
    const secretPaths = [
      ...content('alertmanager/alertmanager.yml').matchAll(/^\s*-?\s*\w+_file:\s*(\S+)/gm),
    ].map((m) => m[1]!);
    expect(secretPaths.length).toBeGreaterThanOrEqual(3);
    for (const path of secretPaths) {
      expect(path.startsWith(`${kit.secretsDir}/`), path).toBe(true);
      expect(rendered).toContain(`secrets.example/${path.slice(kit.secretsDir.length + 1)}`);
    }
  });

  it('lists in .env.example every variable the compose file and relay config use, and no other', () => {
    const defined = Object.keys(dotenv(content('.env.example')));
    const used = new Set(
      [content('docker-compose.yml'), content('relay/sheepdog.yaml')].flatMap((text) =>
        [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!),
      ),
    );
    used.add('COMPOSE_PROFILES'); // read by docker compose itself
    expect(defined.sort()).toEqual([...used].sort());
    for (const name of ['HOLYSHEEP_API_KEY', 'GRAFANA_ADMIN_PASSWORD', 'ALERTMANAGER_SECRETS_DIR'])
      expect(defined).toContain(name);
    expect(content('.gitignore')).toMatch(/^\.env$/m);
    expect(content('.gitignore')).toMatch(/^secrets\/$/m);
  });

  it('mounts a relay config that starts a relay with the kit prefix and profile, and passes both healthchecks', async () => {
    const sim = await startSimulator();
    const env = { ...dotenv(content('.env.example')), SHEEPDOG_UPSTREAM_URL: sim.url };
    const resolved = await resolveConfig({ configPath: join(ops, 'relay/sheepdog.yaml'), env, port: 0 });
    expect(resolved.config.metrics.prefix).toBe(kit.prefix);
    expect(resolved.config.metrics.label_profile).toBe(kit.profile);
    expect(resolved.config.upstreams.map((u) => [u.name, u.base_url, u.api_key])).toEqual([
      ['holysheep', sim.url, ''], // empty key: no Authorization header upstream
    ]);
    const relay = await startRelay(resolved, createLogger('silent'));
    try {
      const port = relay.address.port;
      const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`${kit.prefix}_requests_total{`);
      expect(metrics).toContain(`${kit.prefix}_upstream_up{upstream="holysheep"} 1`);

      // The compose healthcheck of the relay service, and the image's HEALTHCHECK, run as Docker would.
      const all = services(false);
      const composeCheck = all[relayHost]!.healthcheck!.test.slice(1);
      const relayPort = hostPort(kit.relayTarget).port;
      // Asynchronously: the relay answering the check runs in this process.
      const run = (argv: string[], extraEnv: Record<string, string> = {}): Promise<number | null> =>
        new Promise((resolve) => {
          const child = spawn(argv[0]!, argv.slice(1), {
            stdio: 'ignore',
            env: { PATH: process.env.PATH, ...extraEnv },
          });
          child.once('exit', (code) => resolve(code));
        });
      const patched = composeCheck.map((a) => a.replace(`:${relayPort}/`, `:${port}/`));
      expect(patched).not.toEqual(composeCheck);
      expect(await run(patched)).toBe(0);
      const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
      const imageCheck = JSON.parse(
        /HEALTHCHECK .* CMD (\[.*\])$/m.exec(dockerfile.replace(/\\\n\s*/g, ''))![1]!,
      ) as string[];
      expect(await run(imageCheck, { PORT: String(port) })).toBe(0);
      expect(await run(imageCheck, { PORT: String(await freePort()) })).toBe(1);
    } finally {
      await relay.stop(1_000);
      await sim.close();
    }
  });
});
