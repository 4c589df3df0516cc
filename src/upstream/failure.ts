// Classifies why an upstream attempt failed, from undici's and Node's stable
// error codes, into what the relay does next and tells the client.

import type { RelayErrorCode } from '../errors.js';
import type { AttemptOutcome } from '../events/types.js';

/** Why an attempt failed before a usable answer. */
export class UpstreamFailure extends Error {
  readonly outcome: Exclude<AttemptOutcome, 'completed'>;
  /** The code seen (e.g. `ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, `first_token_timeout`). */
  readonly errorCode: string;
  /** What the client gets if no other attempt succeeds. */
  readonly relayCode: RelayErrorCode;

  constructor(
    outcome: UpstreamFailure['outcome'],
    errorCode: string,
    relayCode: RelayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
    this.outcome = outcome;
    this.errorCode = errorCode;
    this.relayCode = relayCode;
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TIMEOUT_WHAT: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the first byte',
  UND_ERR_BODY_TIMEOUT: 'waiting for the next chunk',
};

/** Maps an error thrown by undici or the socket to an UpstreamFailure. */
export function classifyError(err: unknown, upstream: string): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const code = errorCode(err);
  if (TIMEOUT_CODES.has(code)) {
    const what = TIMEOUT_WHAT[code] ?? 'waiting';
    return new UpstreamFailure('timeout', code, 'upstream_timeout', `Upstream ${upstream} timed out ${what}`);
  }
  if (CONNECT_CODES.has(code)) {
    return new UpstreamFailure(
      'connect_error',
      code,
      'upstream_unreachable',
      `Upstream ${upstream} is unreachable (${code})`,
    );
  }
  return new UpstreamFailure(
    'reset',
    code || 'UNKNOWN',
    'upstream_reset',
    `Upstream ${upstream} closed the connection (${code || 'reset'})`,
  );
}

function errorCode(err: unknown): string {
  let current: unknown = err;
  // undici wraps socket errors; the useful code may sit on a cause.
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (typeof code === 'string' && !(current as { cause?: unknown }).cause) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/** Timeouts Sheepdog enforces itself (undici covers connecting, and backstops the rest). */
export const firstTokenTimeout = (upstream: string, ms: number): UpstreamFailure =>
  new UpstreamFailure(
    'timeout',
    'first_token_timeout',
    'upstream_timeout',
    `Upstream ${upstream} sent no token within ${ms} ms`,
  );

export const firstByteTimeout = (upstream: string, ms: number): UpstreamFailure =>
  new UpstreamFailure(
    'timeout',
    'first_byte_timeout',
    'upstream_timeout',
    `Upstream ${upstream} sent no answer within ${ms} ms`,
  );

export const idleTimeout = (upstream: string, ms: number): UpstreamFailure =>
  new UpstreamFailure(
    'timeout',
    'idle_timeout',
    'upstream_timeout',
    `Upstream ${upstream} sent nothing for ${ms} ms in the middle of its answer`,
  );

export const hedgeLost = (): UpstreamFailure =>
  new UpstreamFailure('aborted', 'hedge_lost', 'internal_error', 'another attempt answered first');

export const totalTimeout = (upstream: string, ms: number): UpstreamFailure =>
  new UpstreamFailure(
    'timeout',
    'total_timeout',
    'upstream_timeout',
    `Upstream ${upstream} did not finish within ${ms} ms`,
  );

export const clientAborted = (): UpstreamFailure =>
  new UpstreamFailure('aborted', 'client_aborted', 'internal_error', 'The client closed the connection');
