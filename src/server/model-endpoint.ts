// The handler shared by the three model endpoints: check, read, validate,
// then hand the request to the proxy. Also emits `requestStarted` and the
// `requestFinished` of requests rejected before they reach an upstream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { asRelayError, RelayError } from '../errors.js';
import type { Endpoint, RequestRecord } from '../events/types.js';
import { ProxyCall, type ProxyContext } from '../proxy/call.js';
import { prepareUpstreamBody } from '../proxy/upstream-body.js';
import { checkJsonContentType, isNonAsciiString, type JsonBody, parseJsonObject, readBody } from './body.js';
import { newRequestId } from './request-id.js';
import { sendError } from './respond.js';
import { acceptRequestId, validateBody } from './validate.js';

export interface ModelEndpointContext extends ProxyContext {
  readonly bodyLimitBytes: number;
  /** Model name used in the record of a request rejected before its model was known. */
  readonly unknownModel: string;
}

export function newRecord(
  id: string,
  endpoint: Endpoint,
  model: string,
  stream: boolean,
  startedAt: number,
): RequestRecord {
  return {
    id,
    endpoint,
    model,
    stream,
    startedAt,
    startedAtEpochMs: Date.now(),
    upstream: undefined,
    upstreamModel: undefined,
    attempts: 0,
    firstByteAt: undefined,
    firstTokenAt: undefined,
    usage: undefined,
    usageSource: undefined,
    status: 0,
    overheadMs: 0,
  };
}

/** Handles POST /v1/<endpoint>; resolves when the response has been handled. */
export async function handleModelEndpoint(
  ctx: ModelEndpointContext,
  endpoint: Endpoint,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const startedAt = performance.now();
  const id = acceptRequestId(req.headers['x-request-id']) ?? newRequestId();
  let body: JsonBody;
  let streamOptions: unknown;
  let model = ctx.unknownModel;
  let stream = false;
  try {
    checkJsonContentType(req);
    const parsed = parseJsonObject(await readBody(req, ctx.bodyLimitBytes));
    body = parsed.body;
    // A model name beyond ASCII is read from the properly decoded body (see parseJsonObject).
    const fields = isNonAsciiString(parsed.fields.model) ? body.text() : parsed.fields;
    if (typeof fields.model === 'string' && fields.model.length > 0 && fields.model.length <= 256)
      model = fields.model;
    ({ model, stream } = validateBody(endpoint, fields));
    streamOptions = fields.stream_options;
  } catch (err) {
    rejectEarly(ctx, endpoint, model, startedAt, id, res, err);
    return;
  }
  const record = newRecord(id, endpoint, model, stream, startedAt);
  ctx.hub.requestStarted(record);
  const call = new ProxyCall(ctx, {
    record,
    body,
    upstreamBody: prepareUpstreamBody(endpoint, body, { model, stream, streamOptions }),
    res,
  });
  call.run();
}

/** Answers a request that failed its checks, and records it like any other. */
function rejectEarly(
  ctx: ModelEndpointContext,
  endpoint: Endpoint,
  model: string,
  startedAt: number,
  id: string,
  res: ServerResponse,
  err: unknown,
): void {
  const error = err instanceof RelayError ? err : asRelayError(err);
  if (!(err instanceof RelayError) && !isClientStreamError(err))
    ctx.onInternalError(err, newRecord(id, endpoint, model, false, startedAt));
  const record = newRecord(id, endpoint, model, false, startedAt);
  ctx.hub.requestStarted(record);
  const gone = res.destroyed || isClientStreamError(err);
  if (!gone) sendError(res, error, id);
  record.status = gone ? 499 : error.status;
  record.overheadMs = performance.now() - startedAt;
  ctx.hub.requestFinished(record, {
    outcome: gone ? 'aborted' : 'rejected',
    status: record.status,
    durationMs: record.overheadMs,
    errorCode: gone ? 'client_aborted' : error.code,
  });
}

/** The client went away while sending its body. */
function isClientStreamError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.message === 'aborted'
  );
}
