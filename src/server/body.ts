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
    // Settled once; the listeners stay (they go with the request): taking three
    // off a request cost more than the read itself (Node's stream listener code is megamorphic).
    let settled = false;
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      size += chunk.length;
      if (size > limitBytes) {
        settled = true;
        req.resume(); // drain and discard the rest
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * A JSON request body: its bytes, and its text parsed on demand. The request
 * keeps no parsed tree while it waits on its upstream: a 16 KB conversation
 * parsed is ~100 KB of objects the young-generation collector would copy at
 * every scavenge for as long as the request is in flight. Routing reads a
 * transient parse instead (`parseJsonObject`).
 */
export class JsonBody {
  readonly raw: Buffer;

  constructor(raw: Buffer) {
    this.raw = raw;
  }

  /** The body parsed from UTF-8, anew on each call (re-serialising, estimating usage: off the common path). */
  text(): Record<string, unknown> {
    return JSON.parse(this.raw.toString('utf8')) as Record<string, unknown>;
  }
}

/** True when `value` is a string with a character beyond ASCII. */
export const isNonAsciiString = (value: unknown): boolean =>
  typeof value === 'string' && NON_ASCII.test(value);
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Parses a body that must be a JSON object, for routing and checks. It is
 * parsed as latin1 (one character per byte) rather than UTF-8: V8 decodes
 * UTF-8 with any non-ASCII text in it (Vietnamese, CJK, emoji) into a
 * two-byte string, slowly, and parses that slower too (38 us against 13 us
 * for an 18 KB conversation). A body is valid JSON read one way exactly when
 * it is read the other way (bytes above 0x7f may only appear inside strings,
 * either way), so the checks are the same. The cost: strings in `fields`
 * hold UTF-8 bytes, one per character, right for ASCII (model names, in
 * practice) and wrong beyond it: read those from `body.text()`.
 */
export function parseJsonObject(raw: Buffer): { body: JsonBody; fields: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('latin1'));
  } catch (err) {
    // The parser's message quotes the body: take it from the proper decoding.
    throw new RelayError('invalid_json', `The request body is not valid JSON${syntaxErrorDetail(raw, err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new RelayError('invalid_request', 'The request body must be a JSON object');
  return { body: new JsonBody(raw), fields: parsed as Record<string, unknown> };
}

function syntaxErrorDetail(body: Buffer, latin1Error: unknown): string {
  let err = latin1Error;
  try {
    JSON.parse(body.toString('utf8'));
  } catch (utf8Error) {
    err = utf8Error;
  }
  return err instanceof SyntaxError ? `: ${err.message.slice(0, 200)}` : '';
}
