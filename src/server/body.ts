// Reading and checking a request body: JSON content type, size limit, parse.

import type { IncomingMessage } from 'node:http';
import { RelayError } from '../errors.js';

/** Rejects a declared non-JSON content type; a missing one is accepted as JSON. */
export function checkJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type === undefined || type === '' || type === 'application/json') return;
  const base = type.split(';', 1)[0]!.trim().toLowerCase();
  if (base === 'application/json' || base.endsWith('+json')) return;
  throw new RelayError(
    'unsupported_media_type',
    `Content-Type must be application/json, got "${base.slice(0, 100)}"`,
  );
}

function tooLarge(limit: number): RelayError {
  return new RelayError(
    'body_too_large',
    `The request body is larger than the relay's limit of ${limit} bytes`,
  );
}

/** Reads the whole body, failing fast with 413 once it passes `limitBytes`. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(tooLarge(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume(); // drain and discard the rest
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Parses a body that must be a JSON object. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message.slice(0, 200)}` : '';
    throw new RelayError('invalid_json', `The request body is not valid JSON${detail}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new RelayError('invalid_request', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}
