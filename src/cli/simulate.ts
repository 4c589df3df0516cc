// `sheepdog simulate`: the upstream simulator as its own process.

import { startSimulator } from '../simulator/index.js';

interface SimulateOptions {
  port: number;
  host: string;
  seed: number;
  completionTokens?: number;
  tokensPerChunk: number;
  apiKey?: string;
  faults?: string;
}

export async function runSimulator(opts: SimulateOptions): Promise<void> {
  let faults: Record<string, number> | undefined;
  if (opts.faults) {
    try {
      faults = JSON.parse(opts.faults) as Record<string, number>;
    } catch {
      throw new Error(`--faults must be JSON, e.g. '{"latency_ms":800}'`);
    }
  }
  const sim = await startSimulator({
    host: opts.host,
    port: opts.port,
    seed: opts.seed,
    tokensPerChunk: opts.tokensPerChunk,
    ...(opts.completionTokens !== undefined ? { completionTokens: opts.completionTokens } : {}),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    ...(faults ? { faults } : {}),
  });
  process.stderr.write(
    `Sheepdog upstream simulator on ${sim.url}\n` +
      `  faults:  curl -X POST ${sim.url.replace(/\/v1$/, '')}/_sim/faults -d '{"latency_ms":12000}'\n` +
      `  stats:   curl ${sim.url.replace(/\/v1$/, '')}/_sim/stats\n`,
  );
  const stop = (): void => {
    sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
