import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, resolveConfig, upstreamFromEnv } from './load.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sheepdog-cfg-'));
  dirs.push(dir);
  const path = join(dir, 'c.yaml');
  await writeFile(path, text);
  return path;
}

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads the issue example with ${ENV} interpolation and defaults', async () => {
    const path = await file(`listen: 0.0.0.0:5000
upstreams:
  - name: holysheep
    base_url: https://api.holysheep.ai/v1
    api_key: \${HOLYSHEEP_API_KEY}
    models: [gpt-4.1, claude-sonnet-4.5, gemini-2.5-flash, deepseek-v3.2]
`);
    const config = await loadConfigFile(path, { HOLYSHEEP_API_KEY: 'sk-1' });
    expect(config.upstreams[0]).toMatchObject({ name: 'holysheep', api_key: 'sk-1', max_connections: 2_048 });
    expect(config.server.body_limit).toBe(8 * 1024 * 1024);
  });

  it('supports ${VAR:-default} and $$ escapes, and never re-parses values as YAML', () => {
    const config = parseConfig(
      { upstreams: [{ name: 'a', base_url: '${URL:-http://x/v1}', api_key: 'p$$q${K}' }] },
      't',
      { K: '\nmodels: [evil]' },
    );
    expect(config.upstreams[0]?.base_url).toBe('http://x/v1');
    expect(config.upstreams[0]?.api_key).toBe('p$q\nmodels: [evil]');
    expect(config.upstreams[0]?.models).toBeUndefined();
  });

  it('names the path, the expectation and an example for each problem', () => {
    const message = problemsOf(() =>
      parseConfig(
        {
          listen: 'nope',
          upstreams: [{ name: 'a b', base_url: 'ftp://x', colour: 1 }],
          server: { body_limit: 'lots' },
        },
        'f.yaml',
      ),
    );
    expect(message).toContain('Invalid configuration in f.yaml');
    expect(message).toContain('listen: expected host:port, e.g. 0.0.0.0:5000, got "nope"');
    expect(message).toContain('upstreams[0].name: expected a name of letters');
    expect(message).toContain('upstreams[0].base_url: expected an http(s) URL, got "ftp://x"');
    expect(message).toContain('example: base_url: https://api.holysheep.ai/v1');
    expect(message).toContain('upstreams[0]: unknown key "colour"');
    expect(message).toContain('server.body_limit: expected a size such as 8mb');
  });

  it('reports a missing required key and duplicate names', () => {
    expect(problemsOf(() => parseConfig({ upstreams: [{ name: 'a' }] }, 'f'))).toContain(
      'upstreams[0].base_url: is required',
    );
    const dup = { name: 'a', base_url: 'http://x/v1' };
    expect(problemsOf(() => parseConfig({ upstreams: [dup, dup] }, 'f'))).toContain(
      'duplicate upstream name "a"',
    );
  });

  it('never echoes a secret value in an error', () => {
    const message = problemsOf(() =>
      parseConfig({ upstreams: [{ name: 'a', base_url: 'http://x', api_key: 12345678 }] }, 'f'),
    );
    expect(message).toContain('upstreams[0].api_key');
    expect(message).not.toContain('12345678');
  });

  it('points at the line of a YAML syntax error, and at a missing file', async () => {
    await expect(loadConfigFile(await file('upstreams:\n  - name: [a\n'))).rejects.toThrow(
      /line \d+, column \d+: YAML syntax error/,
    );
    await expect(loadConfigFile('/nonexistent/sheepdog.yaml')).rejects.toThrow(/file not found/);
  });

  it('builds a one-upstream setup from the environment alone', () => {
    expect(upstreamFromEnv({ SHEEPDOG_UPSTREAM_URL: 'http://u/v1', SHEEPDOG_UPSTREAM_API_KEY: 'k' })).toEqual(
      {
        name: 'upstream',
        base_url: 'http://u/v1',
        api_key: 'k',
      },
    );
    expect(upstreamFromEnv({ HOLYSHEEP_API_KEY: 'k' })).toMatchObject({
      name: 'holysheep',
      base_url: 'https://api.holysheep.ai/v1',
    });
    expect(upstreamFromEnv({})).toBeUndefined();
  });

  it('uses the simulator when nothing is configured, and lets PORT override the listen port', async () => {
    const resolved = await resolveConfig({ env: { PORT: '6001' } });
    expect(resolved.useSimulator).toBe(true);
    expect(resolved.config.listen).toBe('0.0.0.0:6001');
    const flag = await resolveConfig({ env: { PORT: '6001', HOLYSHEEP_API_KEY: 'k' }, port: 7000 });
    expect(flag.config.listen).toBe('0.0.0.0:7000');
    expect(flag.useSimulator).toBe(false);
    await expect(resolveConfig({ env: { PORT: 'abc' } })).rejects.toThrow(/port number/);
  });
});
