// What GET /v1/models lists: every model the configuration names, plus, for
// upstreams that serve any model, what they list themselves (fetched on
// demand, cached a minute; a failing upstream simply adds nothing).

import type { ModelRouter } from './router.js';
import type { Upstream } from './upstream.js';

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

const CACHE_MS = 60_000;
const FETCH_TIMEOUT_MS = 2_000;

export class ModelCatalog {
  private readonly router: ModelRouter;
  private readonly openUpstreams: readonly Upstream[];
  private cached: { at: number; models: ModelEntry[] } | undefined;
  private inFlight: Promise<ModelEntry[]> | undefined;

  constructor(router: ModelRouter, upstreams: readonly Upstream[]) {
    this.router = router;
    this.openUpstreams = upstreams.filter((u) => u.models === null);
  }

  async list(): Promise<ModelEntry[]> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.models;
    this.inFlight ??= this.build().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async build(): Promise<ModelEntry[]> {
    const created = Math.floor(Date.now() / 1000);
    const byId = new Map<string, ModelEntry>();
    for (const id of this.router.listedModels())
      byId.set(id, { id, object: 'model', created, owned_by: 'sheepdog' });
    const fetched = await Promise.all(this.openUpstreams.map((u) => fetchUpstreamModels(u)));
    fetched.forEach((ids, i) => {
      for (const id of ids)
        if (!byId.has(id))
          byId.set(id, { id, object: 'model', created, owned_by: this.openUpstreams[i]!.name });
    });
    const models = [...byId.values()];
    this.cached = { at: Date.now(), models };
    return models;
  }
}

async function fetchUpstreamModels(upstream: Upstream): Promise<string[]> {
  try {
    const { statusCode, body } = await upstream.pool.request({
      method: 'GET',
      path: `${upstream.basePath}/models`,
      headers: upstream.getHeaders as string[],
      headersTimeout: FETCH_TIMEOUT_MS,
      bodyTimeout: FETCH_TIMEOUT_MS,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (statusCode !== 200) {
      await body.dump();
      return [];
    }
    const parsed = (await body.json()) as { data?: Array<{ id?: unknown }> };
    return (parsed.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}
