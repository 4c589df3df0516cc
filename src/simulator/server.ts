// The simulator's HTTP server: routing, auth, and the fault pipeline around the pure endpoint functions.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatEndpoint } from './chat.js';
import { createCompletionsEndpoint } from './completions.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { createEmbeddingsEndpoint } from './embeddings.js';
import type { Endpoint, EndpointConfig, Reply } from './endpoint.js';
import {
  INVALID_JSON_BODY,
  injectedError,
  invalidApiKey,
  invalidRequest,
  methodNotAllowed,
  unknownUrl,
} from './errors.js';
import { Exchange } from './exchange.js';
import { FaultState } from './faults.js';
import { readBody } from './http-body.js';
import { createModelsEndpoint, DEFAULT_MODELS } from './models.js';
import { DEFAULT_RATE_LIMIT, RateWindow } from './rate-limit.js';
import { runStream } from './sse-stream.js';
import { RequestRecorder, StatsCollector } from './stats.js';
import type { Simulator, SimulatorOptions } from './types.js';

interface Route {
  path: string;
  method: 'GET' | 'POST';
  endpoint: Endpoint;
}

const API_PREFIX = '/v1';
const JSON_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({ 'content-type': 'application/json' });

function buildRoutes(config: EndpointConfig): Map<string, Route> {
  const routes: Route[] = [
    { path: '/v1/chat/completions', method: 'POST', endpoint: createChatEndpoint(config) },
    { path: '/v1/completions', method: 'POST', endpoint: createCompletionsEndpoint(config) },
    { path: '/v1/embeddings', method: 'POST', endpoint: createEmbeddingsEndpoint(config) },
    { path: '/v1/models', method: 'GET', endpoint: createModelsEndpoint(config) },
  ];
  const table = new Map<string, Route>();
  for (const route of routes) {
    table.set(route.path, route);
    table.set(route.path.slice(API_PREFIX.length), route); // the un-prefixed alias
  }
  return table;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultState();
  if (options.faults) faults.merge(options.faults);
  const stats = new StatsCollector();
  const recorder = new RequestRecorder(100);
  const rateWindow = new RateWindow({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit });
  let responseCounter = 0;
  let requestIdCounter = 0;
  const config: EndpointConfig = {
    seed: options.seed ?? 42,
    completion: options.completionTokens === undefined ? {} : { completionTokens: options.completionTokens },
    tokensPerChunk: Math.max(1, Math.floor(options.tokensPerChunk ?? 1)),
    models: options.models ?? DEFAULT_MODELS,
    nextId: () => ++responseCounter,
  };
  const routes = buildRoutes(config);
  const expectedAuthorization = options.apiKey === undefined ? undefined : `Bearer ${options.apiKey}`;
  const control = { faults, stats, recorder };

  async function serveControl(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readBody(req) : undefined;
    if (body !== undefined && body.kind === 'aborted') return;
    const text = body?.kind === 'text' ? body.text : undefined;
    const reply = handleControl(method, pathname, text, control);
    res.writeHead(reply.status, JSON_HEADERS);
    res.end(reply.body);
  }

  /** Admission: path, method, auth and body checks, answered at once and outside the fault counters. */
  async function serveModel(req: IncomingMessage, res: ServerResponse, target: string, pathname: string) {
    const ex = new Exchange(req, res, stats);
    const method = req.method ?? 'GET';
    const route = routes.get(pathname);
    stats.countRequest(route?.path ?? pathname);
    const read = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
    if (read?.kind === 'aborted') return;
    if (read?.kind === 'too_large')
      return ex.sendJson(413, invalidRequest('Request body too large.', null), {});
    let body: unknown;
    let parsed = read === undefined;
    if (read !== undefined) {
      try {
        body = JSON.parse(read.text);
        parsed = true;
      } catch {
        body = read.text === '' ? undefined : read.text;
      }
    }
    recorder.record({ method, path: target, rawHeaders: req.rawHeaders, body, at: Date.now() });

    if (route === undefined) return ex.sendJson(404, unknownUrl(method, pathname), {});
    if (route.method !== method)
      return ex.sendJson(405, methodNotAllowed(method, pathname), { allow: route.method });
    if (expectedAuthorization !== undefined && req.headers.authorization !== expectedAuthorization) {
      return ex.sendJson(401, invalidApiKey(), {});
    }
    if (!parsed) return ex.sendJson(400, INVALID_JSON_BODY, {});
    const reply = route.endpoint(body);
    if (reply.kind === 'invalid') return ex.sendJson(reply.status, reply.body, {});
    await respond(ex, reply);
  }

  /** The fault pipeline around an admitted request: latency, reset, rate limit, error, then the reply. */
  async function respond(ex: Exchange, reply: Exclude<Reply, { kind: 'invalid' }>): Promise<void> {
    const fate = faults.next();
    if (fate.faults.latency_ms > 0 && !(await ex.sleep(fate.faults.latency_ms))) return;
    if (fate.reset) {
      stats.counters.resets_injected += 1;
      return ex.reset();
    }
    const headers: OutgoingHttpHeaders = { 'x-request-id': `req_sim${++requestIdCounter}` };
    if (reply.rateTokens !== null) {
      const window = rateWindow.consume(fate.error ? 0 : reply.rateTokens);
      rateWindow.writeHeaders(headers, window);
      if (window.limited && !fate.error) {
        headers['retry-after'] = String(Math.max(1, Math.ceil(window.resetMs / 1000)));
        return ex.sendJson(429, injectedError(429), headers);
      }
    }
    if (fate.error) {
      const status = fate.faults.error_status;
      stats.counters.errors_injected += 1;
      if (status === 429) {
        headers['retry-after'] = String(Math.ceil(fate.faults.retry_after_s));
        headers['retry-after-ms'] = Math.round(fate.faults.retry_after_s * 1000);
      }
      return ex.sendJson(status, injectedError(status), headers);
    }
    if (reply.kind === 'json') {
      if (reply.usage !== null) stats.addUsage(reply.usage);
      return ex.sendJson(200, reply.body, headers);
    }
    await runStream(ex, reply.plan, fate.faults, headers, stats);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    const pathname = query === -1 ? target : target.slice(0, query);
    const served = pathname.startsWith(CONTROL_PREFIX)
      ? serveControl(req, res, pathname)
      : serveModel(req, res, target, pathname);
    served.catch((error: unknown) => {
      // A bug here must not take the test run down with an unhandled rejection; answer 500 if still possible.
      if (!res.headersSent) {
        res.writeHead(500, JSON_HEADERS);
        res.end(injectedError(500));
      } else res.destroy(error instanceof Error ? error : undefined);
    });
  }

  const server = createServer({ noDelay: true }, onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}${API_PREFIX}`,
    port,
    setFaults: (patch) => faults.merge(patch),
    clearFaults: () => faults.clear(),
    faults: () => faults.get(),
    stats: () => stats.snapshot(),
    resetStats: () => {
      stats.reset();
      recorder.clear();
    },
    requests: () => recorder.list(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
