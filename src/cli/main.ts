#!/usr/bin/env node
// The `sheepdog` command line. It owns the process: config, signals, exit codes.

import cluster from 'node:cluster';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfigFile, resolveConfig } from '../config/load.js';
import { createLogger } from '../logging/logger.js';
import { registerOpsCommand } from '../ops/cli.js';
import { startRelay } from '../relay.js';
import { VERSION } from '../version.js';
import { banner } from './banner.js';
import { exitAfterDrain } from './shutdown.js';
import { runSimulator } from './simulate.js';
import { runPrimary, runWorker } from './workers.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return port;
}

const program = new Command()
  .name('sheepdog')
  .description(
    'OpenAI-compatible LLM API relay: see what your providers do, get alerted within seconds, route around failures.',
  )
  .version(VERSION)
  .showHelpAfterError();

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('expected a number of workers 1-256');
  return n;
}

program
  .command('start')
  .description(
    'Start the relay. With no upstream configured it serves every model from the built-in simulator.\n' +
      'Upstreams come from --config / SHEEPDOG_CONFIG, else SHEEPDOG_UPSTREAM_URL (+ SHEEPDOG_UPSTREAM_API_KEY),\n' +
      'else HOLYSHEEP_API_KEY.',
  )
  .addOption(new Option('-c, --config <file>', 'YAML config file').env('SHEEPDOG_CONFIG'))
  .addOption(
    new Option('-p, --port <port>', 'port to listen on (overrides the config `listen` port)')
      .env('PORT')
      .argParser(parsePort),
  )
  .addOption(
    new Option(
      '-w, --workers <n>',
      'worker processes sharing the port, to use every core (overrides server.workers)',
    )
      .env('SHEEPDOG_WORKERS')
      .argParser(parseWorkers),
  )
  .action(async (opts: { config?: string; port?: number; workers?: number }) => {
    const resolved = await resolveConfig({
      ...(opts.config ? { configPath: opts.config } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    });
    if (opts.workers !== undefined) resolved.config.server.workers = opts.workers;
    const logger = createLogger(resolved.config.log.level);
    if (cluster.isWorker) return runWorker(resolved, logger);
    if (resolved.config.server.workers > 1) return runPrimary(resolved, logger);
    const relay = await startRelay(resolved, logger);
    process.stderr.write(`${banner(relay, resolved.source)}\n`);
    logger.info({ address: relay.address, source: resolved.source }, 'sheepdog started');
    exitAfterDrain(
      logger,
      'sheepdog',
      () => relay.app.inFlight(),
      () => relay.stop(),
    );
  });

program
  .command('simulate')
  .description(
    'Run the upstream simulator alone: an OpenAI-compatible fake provider for tests, demos and benchmarks.',
  )
  .addOption(new Option('-p, --port <port>', 'port to listen on').default(5001).argParser(parsePort))
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--seed <n>', 'seed for the generated content', (v) => Number(v), 42)
  .option('--completion-tokens <n>', 'fixed completion length in tokens (default: varies per prompt)', (v) =>
    Number(v),
  )
  .option('--tokens-per-chunk <n>', 'tokens per SSE chunk', (v) => Number(v), 1)
  .option('--api-key <key>', 'require this bearer key')
  .option(
    '--faults <json>',
    'initial faults as JSON, e.g. \'{"latency_ms":800}\' (change later with POST /_sim/faults)',
  )
  .action(runSimulator);

program
  .command('check-config')
  .description('Validate a config file (with ${ENV} interpolation) and print what is wrong, or a summary.')
  .argument('<file>', 'YAML config file')
  .action(async (file: string) => {
    const config = await loadConfigFile(file);
    const lines = [`${file}: OK`, `  listen: ${config.listen}`];
    if (config.upstreams.length === 0)
      lines.push('  upstreams: none (the built-in simulator will serve every model)');
    for (const u of config.upstreams)
      lines.push(`  upstream ${u.name}: ${u.base_url} (${u.models ? u.models.join(', ') : 'any model'})`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });

registerOpsCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sheepdog: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
