// The start-up banner: where to point a client, and what to do next.

import type { AddressInfo } from 'node:net';
import { VERSION } from '../version.js';

/** What the banner shows: a RunningRelay, or the primary's view of its workers. */
export interface BannerRelay {
  readonly address: AddressInfo;
  readonly simulator: { readonly url: string } | undefined;
  readonly app: { readonly upstreams: ReadonlyArray<{ name: string; origin: string; basePath: string }> };
  readonly metrics: unknown;
}

export function banner(relay: BannerRelay, source: string, workers = 1): string {
  const url = baseUrl(relay.address);
  const processes = workers > 1 ? `, ${workers} worker processes` : '';
  const lines = [`Sheepdog ${VERSION} relaying on ${url}/v1 (config: ${source}${processes})`];
  if (relay.simulator) {
    lines.push(
      '',
      'No upstream is configured, so every model is served by the built-in upstream simulator',
      `(${relay.simulator.url}): answers are generated locally, no provider is called.`,
      '',
      'Try it:',
      `  curl ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
      `    -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello"}]}'`,
      `  # or with the openai SDK: new OpenAI({ baseURL: '${url}/v1', apiKey: 'dummy-key' })`,
      '',
      'To relay to a real provider, set one of:',
      '  HOLYSHEEP_API_KEY=...                                   (the HolySheep relay)',
      '  SHEEPDOG_UPSTREAM_URL=https://... SHEEPDOG_UPSTREAM_API_KEY=...   (any OpenAI-compatible API)',
      '  sheepdog start --config sheepdog.yaml                   (several upstreams; see README)',
    );
  } else {
    lines.push(
      `Upstreams: ${relay.app.upstreams.map((u) => `${u.name} (${u.origin}${u.basePath})`).join(', ')}`,
    );
  }
  lines.push(
    `Health: ${url}/healthz   Ready: ${url}/readyz${relay.metrics === undefined ? '' : `   Metrics: ${url}/metrics`}`,
  );
  return lines.join('\n');
}

function baseUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0' || address.address === '::'
      ? 'localhost'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}
