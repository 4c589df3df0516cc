// Builds the relay's HTTP server from a validated config. It never listens by
// itself: the CLI (or a test) owns the process, the port and the signals.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { splitListen } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { RelayError } from '../errors.js';
import { EventHub } from '../events/hub.js';
import type { Endpoint, RequestRecord } from '../events/types.js';
import { HealthRegistry } from '../upstream/health.js';
import { ModelCatalog } from '../upstream/model-catalog.js';
import { RetryBudget } from '../upstream/retry-budget.js';
import { ModelRouter } from '../upstream/router.js';
import { closeUpstreams, createUpstream, destroyUpstreams, type Upstream } from '../upstream/upstream.js';
import { VERSION } from '../version.js';
import { handleModelEndpoint, type ModelEndpointContext } from './model-endpoint.js';
import { sendError, sendJson } from './respond.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Share a hub to subscribe before the first request; one is created otherwise. */
  readonly hub?: EventHub;
}

export interface App {
  readonly server: Server;
  readonly hub: EventHub;
  readonly upstreams: readonly Upstream[];
  readonly config: Config;
  /** Adds a route (e.g. `/metrics`); exact path match, query string ignored. */
  route(method: 'GET' | 'POST', path: string, handler: RouteHandler): void;
  /** Starts listening on `config.listen` (or the given port) and resolves with the address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Requests being handled right now. */
  inFlight(): number;
  /**
   * Upstream attempts still registered to hear their breaker open. Each
   * attempt leaves when it ends, however it ends: 0 whenever nothing is in
   * flight, or requests would be kept alive (and memory grow) past their end.
   */
  attemptsWatchingBreakers(): number;
  /** True when the relay can serve: not shutting down, at least one upstream usable. */
  ready(): boolean;
  /**
   * Stops accepting, lets in-flight requests and streams finish for up to
   * `timeoutMs`, then cuts what is left. Resolves when everything is closed.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat/completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

export function createApp(options: AppOptions): App {
  const { config, logger } = options;
  const hub = options.hub ?? new EventHub();
  hub.onSubscriberError = (err, event) => logger.error({ err, event }, 'event subscriber failed');
  const upstreams = config.upstreams.map(createUpstream);
  const router = new ModelRouter(upstreams, config.routes);
  const health = new HealthRegistry(upstreams, config.breaker, hub);
  health.startActiveChecks(new Map(config.upstreams.map((u) => [u.name, u.health_check])));
  const catalog = new ModelCatalog(router, upstreams);
  const routes = new Map<string, RouteHandler>();
  let shuttingDown = false;
  let active = 0;
  let onIdle: (() => void) | undefined;

  const endpointCtx: ModelEndpointContext = {
    hub,
    router,
    health,
    budget: new RetryBudget(config.retry.budget_ratio, config.retry.budget_min_per_second, () =>
      performance.now(),
    ),
    retry: config.retry,
    hedging: config.hedging,
    maxEventBytes: config.stream.max_event_bytes,
    maxResponseBytes: 64 * 1024 * 1024,
    bodyLimitBytes: config.server.body_limit,
    unknownModel: 'unknown',
    onInternalError: (err: unknown, record: RequestRecord) =>
      logger.error({ err, request_id: record.id }, 'internal error while relaying'),
  };

  const ready = (): boolean => !shuttingDown && health.anyUsable();
  const route = (method: string, path: string, handler: RouteHandler): void => {
    routes.set(`${method} ${path}`, handler);
  };

  route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  route('GET', '/readyz', (_req, res) =>
    ready()
      ? sendJson(res, 200, { status: 'ready' })
      : sendJson(res, 503, { status: shuttingDown ? 'shutting_down' : 'no_upstream' }),
  );
  route('GET', '/health', (_req, res) =>
    sendJson(res, ready() ? 200 : 503, {
      status: ready() ? 'healthy' : 'unhealthy',
      relay: 'sheepdog',
      version: VERSION,
      upstreams: upstreams.map((u) => u.name),
    }),
  );
  route('GET', '/v1/models', async (_req, res) => {
    sendJson(res, 200, { object: 'list', data: await catalog.list() });
  });
  for (const [path, endpoint] of Object.entries(ENDPOINTS)) {
    route('POST', path, (req, res) => handleModelEndpoint(endpointCtx, endpoint, req, res));
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) {
      const known = routes.has(`GET ${path}`) || routes.has(`POST ${path}`);
      const err = known
        ? new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${path}`)
        : new RelayError('not_found', `Unknown path ${path.slice(0, 200)}`);
      sendError(res, err);
      return;
    }
    if (shuttingDown) {
      res.shouldKeepAlive = false;
      if (ENDPOINTS[path]) {
        sendError(
          res,
          new RelayError('shutting_down', 'The relay is shutting down; retry shortly', { retryAfterS: 1 }),
        );
        return;
      }
    }
    active++;
    const done = (): void => {
      if (--active === 0 && onIdle) onIdle();
      if (shuttingDown) server.closeIdleConnections();
    };
    res.once('close', done);
    try {
      const result = handler(req, res);
      if (result)
        result.catch((err: unknown) => {
          logger.error({ err }, 'unhandled error in route');
          sendError(res, new RelayError('internal_error', 'Internal error in the relay'));
        });
    } catch (err) {
      logger.error({ err }, 'unhandled error in route');
      sendError(res, new RelayError('internal_error', 'Internal error in the relay'));
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 60_000 }, handle);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const body = new RelayError('invalid_request', 'Malformed HTTP request').toBody();
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  return {
    server,
    hub,
    upstreams,
    config,
    route: (method, path, handler) => route(method, path, handler),
    inFlight: () => active,
    attemptsWatchingBreakers: () => health.openWatcherCount(),
    ready,
    listen(port?: number, host?: string) {
      const listen = splitListen(config.listen);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port ?? listen.port, host ?? listen.host, () => {
          server.off('error', reject);
          // Subscribers are all attached by now: tell them each upstream's starting health.
          health.announce();
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async shutdown(timeoutMs = config.server.shutdown_timeout_ms) {
      if (shuttingDown) return;
      shuttingDown = true;
      health.stop();
      const started = performance.now();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (active > 0) {
        logger.warn(
          { in_flight: active, waited_ms: Math.round(performance.now() - started) },
          'shutdown deadline reached; closing remaining connections',
        );
        server.closeAllConnections();
        await destroyUpstreams(upstreams);
      } else {
        server.closeAllConnections();
        await closeUpstreams(upstreams);
      }
      await closed;
    },
  };
}
