// Where the configuration comes from: a YAML file, or environment variables
// alone for a one-upstream setup, or nothing (the built-in simulator).

import { readFile } from 'node:fs/promises';
import { isMap, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem, formatPath, problemsFromZod } from './errors.js';
import { type InterpolationProblem, interpolateEnv } from './interpolate.js';
import { type Config, configSchema } from './schema.js';

type Env = Record<string, string | undefined>;

export const HOLYSHEEP_BASE_URL = 'https://api.holysheep.ai/v1';

/** Validates an already-parsed config object (after interpolation). */
export function parseConfig(raw: unknown, source: string, env: Env = {}): Config {
  const interpolationProblems: InterpolationProblem[] = [];
  const expanded = interpolateEnv(raw ?? {}, env, interpolationProblems);
  const problems: ConfigProblem[] = interpolationProblems.map((p) => ({
    path: formatPath(p.path),
    message: p.message,
  }));
  const result = configSchema.safeParse(expanded, { reportInput: true });
  if (!result.success) problems.push(...problemsFromZod(result.error));
  if (problems.length > 0) throw new ConfigError(source, problems);
  const config = result.data as Config;
  checkCrossFieldRules(config, source);
  return config;
}

function checkCrossFieldRules(config: Config, source: string): void {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.upstreams.forEach((upstream, i) => {
    if (seen.has(upstream.name))
      problems.push({
        path: `upstreams[${i}].name`,
        message: `duplicate upstream name "${upstream.name}": each upstream needs its own name`,
        example: 'name: holysheep-backup',
      });
    seen.add(upstream.name);
  });
  const names = new Set(config.upstreams.map((u) => u.name));
  for (const [model, route] of Object.entries(config.routes)) {
    route.upstreams?.forEach((name, i) => {
      if (!names.has(name))
        problems.push({
          path: `routes.${model}.upstreams[${i}]`,
          message: `no upstream is named "${name}" (known: ${[...names].join(', ') || 'none'})`,
          example: `upstreams: [${[...names][0] ?? 'holysheep'}]`,
        });
    });
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/** Reads, interpolates and validates a YAML config file. */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new ConfigError(path, [{ path: '', message: `cannot read the config file: ${reason}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new ConfigError(path, [
      { path: '', message: 'expected a mapping of keys at the top level', example: 'listen: 0.0.0.0:5000' },
    ]);
  }
  return parseConfig(doc.toJS(), path, env);
}

/**
 * A one-upstream setup from the environment alone: `SHEEPDOG_UPSTREAM_URL` (+ `_API_KEY`,
 * optional `_NAME`, `_MODELS`), or, as in the seed article, `HOLYSHEEP_API_KEY`.
 * Returns undefined when neither is set.
 */
export function upstreamFromEnv(env: Env): Record<string, unknown> | undefined {
  if (env.SHEEPDOG_UPSTREAM_URL) {
    const models = env.SHEEPDOG_UPSTREAM_MODELS?.split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    return {
      name: env.SHEEPDOG_UPSTREAM_NAME || 'upstream',
      base_url: env.SHEEPDOG_UPSTREAM_URL,
      ...(env.SHEEPDOG_UPSTREAM_API_KEY ? { api_key: env.SHEEPDOG_UPSTREAM_API_KEY } : {}),
      ...(models && models.length > 0 ? { models } : {}),
    };
  }
  if (env.HOLYSHEEP_API_KEY) {
    return { name: 'holysheep', base_url: HOLYSHEEP_BASE_URL, api_key: env.HOLYSHEEP_API_KEY };
  }
  return undefined;
}

export interface ResolvedConfig {
  config: Config;
  /** Human-readable origin, for the banner and errors. */
  source: string;
  /** No upstream is configured: the built-in simulator serves every model. */
  useSimulator: boolean;
}

/**
 * Picks the configuration: `--config` / `SHEEPDOG_CONFIG` file first, else the
 * environment, else none. `port` (from `--port` or `PORT`) overrides the listen port.
 */
export async function resolveConfig(options: {
  configPath?: string;
  port?: number;
  env?: Env;
}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const path = options.configPath ?? env.SHEEPDOG_CONFIG;
  let config: Config;
  let source: string;
  if (path) {
    config = await loadConfigFile(path, env);
    source = path;
  } else {
    const upstream = upstreamFromEnv(env);
    source = upstream ? 'environment' : 'defaults';
    config = parseConfig(upstream ? { upstreams: [upstream] } : {}, source, env);
  }
  const level = env.SHEEPDOG_LOG_LEVEL ?? env.LOG_LEVEL;
  if (level) config.log.level = parseConfig({ log: { level } }, 'SHEEPDOG_LOG_LEVEL').log.level;
  const port = options.port ?? (env.PORT ? Number(env.PORT) : undefined);
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ConfigError('PORT', [
        { path: 'port', message: `expected a port number 0-65535, got "${port}"` },
      ]);
    config.listen = `${splitListen(config.listen).host}:${port}`;
  }
  return { config, source, useSimulator: config.upstreams.length === 0 };
}

/** Splits `host:port` (IPv6 in brackets); an empty host means all interfaces. */
export function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  let host = listen.slice(0, at);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || '0.0.0.0', port: Number(listen.slice(at + 1)) };
}

// Re-exported so callers import config concerns from one module.
export { ConfigError } from './errors.js';
