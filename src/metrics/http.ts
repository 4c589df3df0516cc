// Serving the exposition: the /metrics route (main port) and, optionally, a
// listener of its own (`metrics.listen`), both behind an optional bearer token.

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExpositionSource {
  /** The text a scrape returns (this process, or the aggregate of every worker). */
  scrape(): Promise<string>;
  readonly contentType: string;
}

function authorized(req: IncomingMessage, token: Buffer | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  return given.length === token.length && timingSafeEqual(given, token);
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: string[] = []): void {
  res.writeHead(status, ['content-type', type, 'content-length', String(Buffer.byteLength(body)), ...extra]);
  res.end(body);
}

/** A `GET /metrics` handler for `source`, requiring `bearerToken` when one is set. */
export function metricsHandler(
  source: ExpositionSource,
  bearerToken: string | undefined,
  onError: (err: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const token = bearerToken === undefined ? undefined : Buffer.from(bearerToken);
  return async function serveMetrics(req, res) {
    if (!authorized(req, token)) {
      send(
        res,
        401,
        'text/plain; charset=utf-8',
        'unauthorized: send Authorization: Bearer <metrics.bearer_token>\n',
        ['www-authenticate', 'Bearer realm="metrics"'],
      );
      return;
    }
    try {
      send(res, 200, source.contentType, await source.scrape());
    } catch (err) {
      onError(err);
      send(res, 500, 'text/plain; charset=utf-8', 'metrics collection failed\n');
    }
  };
}

/** A server answering only `GET /metrics` (404 otherwise), for `metrics.listen`. */
export async function listenMetrics(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  host: string,
  port: number,
): Promise<{ server: Server; address: AddressInfo; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) void handler(req, res);
    else send(res, 404, 'text/plain; charset=utf-8', 'not found: this listener serves GET /metrics only\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
