// The few checks the relay makes on a request body before sending it on:
// enough to route it and to answer obvious mistakes with a clear 400. The
// upstream remains the judge of everything else.

import { RelayError } from '../errors.js';
import type { Endpoint } from '../events/types.js';

/** The fields the relay itself needs from a valid body. */
export interface RoutableRequest {
  readonly model: string;
  readonly stream: boolean;
}

const MAX_MODEL_CHARS = 256;

const REQUIRED: Record<Endpoint, string> = {
  'chat/completions': 'messages',
  completions: 'prompt',
  embeddings: 'input',
};

export function validateBody(endpoint: Endpoint, body: Record<string, unknown>): RoutableRequest {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0)
    throw new RelayError('missing_field', 'you must provide a model parameter (a non-empty string)', {
      param: 'model',
    });
  if (model.length > MAX_MODEL_CHARS)
    throw new RelayError('invalid_request', `model must be at most ${MAX_MODEL_CHARS} characters`, {
      param: 'model',
    });
  const field = REQUIRED[endpoint];
  const value = body[field];
  if (endpoint === 'chat/completions') {
    if (!Array.isArray(value) || value.length === 0)
      throw new RelayError('missing_field', "'messages' must be a non-empty array of messages", {
        param: field,
      });
  } else if (value === undefined || value === null || value === '') {
    throw new RelayError('missing_field', `you must provide the '${field}' parameter`, { param: field });
  }
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw new RelayError('invalid_request', "'stream' must be a boolean", { param: 'stream' });
  if (stream === true && endpoint === 'embeddings')
    throw new RelayError('invalid_request', 'embeddings cannot be streamed', { param: 'stream' });
  return { model, stream: stream === true };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is a sane token, else undefined (one is generated). */
export function acceptRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}
