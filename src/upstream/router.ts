// Maps a requested model to its route: the upstreams that may serve it (with
// each one's own name for the model and its effective timeouts) and the
// strategy that orders them per request.

import type { RouteConfig, Strategy } from '../config/resilience-schema.js';
import type { Timeouts } from '../config/schema.js';
import { RelayError } from '../errors.js';
import { backstopTimeoutMs, type Upstream } from './upstream.js';

export interface Candidate {
  readonly upstream: Upstream;
  /** The model name to send to this upstream (after aliasing). */
  readonly upstreamModel: string;
  /** The upstream's timeouts with the route's overrides applied. */
  readonly timeouts: Timeouts;
  /** undici's backstop for these timeouts (see `backstopTimeoutMs`). */
  readonly backstopMs: number;
}

export interface Route {
  /** The model name the client asked for. */
  readonly model: string;
  readonly candidates: readonly Candidate[];
  readonly strategy: Strategy;
}

const WILDCARD = '*';

export class ModelRouter {
  private readonly upstreams: readonly Upstream[];
  private readonly routes: Readonly<Record<string, RouteConfig>>;
  /** Routes computed on first use: routing is then one map lookup. */
  private readonly cache = new Map<string, Route>();
  private static readonly CACHE_LIMIT = 10_000;

  constructor(upstreams: readonly Upstream[], routes: Readonly<Record<string, RouteConfig>> = {}) {
    this.upstreams = upstreams;
    this.routes = routes;
  }

  /** Every model name the configuration names (upstream lists, aliases, routes). */
  listedModels(): string[] {
    const names = new Set<string>();
    for (const u of this.upstreams) {
      for (const m of u.models ?? []) names.add(m);
      for (const m of Object.keys(u.aliases)) names.add(m);
    }
    for (const m of Object.keys(this.routes)) if (m !== WILDCARD) names.add(m);
    return [...names];
  }

  /** The route for `model`; throws the client-facing error when no upstream serves it. */
  route(model: string): Route {
    const cached = this.cache.get(model);
    if (cached) return cached;
    const config = this.routes[model] ?? this.routes[WILDCARD];
    const serving = config?.upstreams
      ? config.upstreams.map((name) => this.upstreams.find((u) => u.name === name)!).filter(Boolean)
      : this.upstreams.filter((u) => serves(u, model));
    if (serving.length === 0) {
      if (this.upstreams.length === 0)
        throw new RelayError('no_upstream_available', 'No upstream is configured', { retryAfterS: 5 });
      throw new RelayError(
        'unknown_model',
        `The model \`${model}\` does not exist or is not served by this relay; GET /v1/models lists the models it serves`,
        { param: 'model' },
      );
    }
    const route: Route = {
      model,
      strategy: config?.strategy ?? 'priority',
      candidates: serving.map((upstream) => {
        const timeouts = { ...upstream.timeouts, ...config?.timeouts };
        return {
          upstream,
          upstreamModel: upstream.aliases[model] ?? model,
          timeouts,
          backstopMs: backstopTimeoutMs(timeouts),
        };
      }),
    };
    // Unknown names are client-chosen: cache only a bounded number of them.
    if (this.cache.size < ModelRouter.CACHE_LIMIT) this.cache.set(model, route);
    return route;
  }
}

function serves(upstream: Upstream, model: string): boolean {
  return upstream.models === null || upstream.models.has(model) || Object.hasOwn(upstream.aliases, model);
}
