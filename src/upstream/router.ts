// Maps a requested model to the upstreams that may serve it, in priority order.

import { RelayError } from '../errors.js';
import type { Upstream } from './upstream.js';

export interface Candidate {
  readonly upstream: Upstream;
  /** The model name to send to this upstream. */
  readonly upstreamModel: string;
}

export class ModelRouter {
  private readonly upstreams: readonly Upstream[];
  /** Per-model candidate lists, computed on first use: routing is then one map lookup. */
  private readonly cache = new Map<string, readonly Candidate[]>();
  private readonly anyModel: readonly Upstream[];
  private static readonly CACHE_LIMIT = 10_000;

  constructor(upstreams: readonly Upstream[]) {
    this.upstreams = upstreams;
    this.anyModel = upstreams.filter((u) => u.models === null);
  }

  /** Every model name some upstream lists explicitly. */
  listedModels(): string[] {
    const names = new Set<string>();
    for (const u of this.upstreams) for (const m of u.models ?? []) names.add(m);
    return [...names];
  }

  /** True when at least one upstream accepts any model name. */
  acceptsAnyModel(): boolean {
    return this.anyModel.length > 0;
  }

  /** Candidates for `model`, best first; throws the client-facing error when there are none. */
  candidates(model: string): readonly Candidate[] {
    const cached = this.cache.get(model);
    if (cached) return cached;
    const found: Candidate[] = [];
    for (const upstream of this.upstreams) {
      if (upstream.models === null || upstream.models.has(model))
        found.push({ upstream, upstreamModel: model });
    }
    if (found.length === 0) {
      if (this.upstreams.length === 0)
        throw new RelayError('no_upstream_available', 'No upstream is configured', { retryAfterS: 5 });
      throw new RelayError(
        'unknown_model',
        `The model \`${model}\` does not exist or is not served by this relay; GET /v1/models lists the models it serves`,
        { param: 'model' },
      );
    }
    // Unknown names are client-chosen: cache only a bounded number of them.
    if (this.cache.size < ModelRouter.CACHE_LIMIT) this.cache.set(model, found);
    return found;
  }
}
