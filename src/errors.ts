// Typed relay errors with stable codes. This is the one place an error becomes
// the OpenAI-shaped body `{"error":{"message","type","param","code"}}`.

/** Stable error codes: clients and tests match on these, so never rename one. */
export type RelayErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'missing_field'
  | 'unknown_model'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'upstream_unreachable'
  | 'upstream_reset'
  | 'upstream_timeout'
  | 'upstream_stream_cut'
  | 'upstream_bad_response'
  | 'no_upstream_available'
  | 'shutting_down'
  | 'internal_error';

type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'upstream_error'
  | 'service_unavailable'
  | 'server_error';

const STATUS_AND_TYPE: Record<RelayErrorCode, [number, OpenAIErrorType]> = {
  invalid_json: [400, 'invalid_request_error'],
  invalid_request: [400, 'invalid_request_error'],
  missing_field: [400, 'invalid_request_error'],
  unknown_model: [404, 'invalid_request_error'],
  body_too_large: [413, 'invalid_request_error'],
  unsupported_media_type: [415, 'invalid_request_error'],
  not_found: [404, 'invalid_request_error'],
  method_not_allowed: [405, 'invalid_request_error'],
  unauthorized: [401, 'authentication_error'],
  upstream_unreachable: [502, 'upstream_error'],
  upstream_reset: [502, 'upstream_error'],
  upstream_timeout: [504, 'upstream_error'],
  upstream_stream_cut: [502, 'upstream_error'],
  upstream_bad_response: [502, 'upstream_error'],
  no_upstream_available: [503, 'service_unavailable'],
  shutting_down: [503, 'service_unavailable'],
  internal_error: [500, 'server_error'],
};

export class RelayError extends Error {
  readonly code: RelayErrorCode;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  /** Seconds a client should wait before retrying; sent as `Retry-After`. */
  readonly retryAfterS: number | undefined;

  constructor(
    code: RelayErrorCode,
    message: string,
    options: { param?: string; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const [status, type] = STATUS_AND_TYPE[code];
    this.name = 'RelayError';
    this.code = code;
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.retryAfterS = options.retryAfterS;
  }

  /** The OpenAI-shaped JSON body for this error. */
  toBody(): string {
    return JSON.stringify({
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    });
  }
}

/** Anything thrown inside the relay, as a RelayError (unknown throws become a 500 without details). */
export function asRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  return new RelayError('internal_error', 'Internal error in the relay', { cause: err });
}
