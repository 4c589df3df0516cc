// Small helpers for answers Sheepdog writes itself.

import type { ServerResponse } from 'node:http';
import type { RelayError } from '../errors.js';

export function sendJson(res: ServerResponse, status: number, value: unknown, requestId?: string): void {
  const body = JSON.stringify(value);
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
  if (requestId) headers.push('x-request-id', requestId);
  res.writeHead(status, headers);
  res.end(body);
}

export function sendError(res: ServerResponse, err: RelayError, requestId?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = err.toBody();
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
  if (requestId) headers.push('x-request-id', requestId);
  if (err.retryAfterS !== undefined) headers.push('retry-after', String(err.retryAfterS));
  // A rejected body may not have been read: do not reuse the connection.
  if (err.status === 413) headers.push('connection', 'close');
  res.writeHead(err.status, headers);
  res.end(body);
}
