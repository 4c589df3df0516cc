// The /_sim/* control plane: read and change faults, read and reset stats, list recorded requests.
// It bypasses auth, faults and stats, so a test can always reach it, even at error_rate 1.
import { ZodError } from 'zod';
import { INVALID_JSON_BODY, invalidRequest, methodNotAllowed, unknownUrl } from './errors.js';
import type { FaultState } from './faults.js';
import type { RequestRecorder, StatsCollector } from './stats.js';

export const CONTROL_PREFIX = '/_sim/';

export interface ControlTarget {
  faults: FaultState;
  stats: StatsCollector;
  recorder: RequestRecorder;
}

export interface ControlReply {
  status: number;
  body: string;
}

function ok(value: unknown): ControlReply {
  return { status: 200, body: JSON.stringify(value) };
}

function patchFaults(target: ControlTarget, bodyText: string | undefined): ControlReply {
  let patch: unknown;
  try {
    patch = JSON.parse(bodyText ?? '');
  } catch {
    return { status: 400, body: INVALID_JSON_BODY };
  }
  try {
    target.faults.merge(patch);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const detail = error.issues
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    return { status: 400, body: invalidRequest(`Invalid faults: ${detail}`, null, 'invalid_faults') };
  }
  return ok(target.faults.get());
}

export function handleControl(
  method: string,
  pathname: string,
  bodyText: string | undefined,
  target: ControlTarget,
): ControlReply {
  const route = `${method} ${pathname}`;
  switch (route) {
    case 'GET /_sim/faults':
      return ok(target.faults.get());
    case 'POST /_sim/faults':
      return patchFaults(target, bodyText);
    case 'DELETE /_sim/faults':
      target.faults.clear();
      return ok(target.faults.get());
    case 'GET /_sim/stats':
      return ok(target.stats.snapshot());
    case 'POST /_sim/stats/reset':
      target.stats.reset();
      target.recorder.clear();
      return ok(target.stats.snapshot());
    case 'GET /_sim/requests':
      return ok(target.recorder.list());
  }
  const known = ['/_sim/faults', '/_sim/stats', '/_sim/stats/reset', '/_sim/requests'].includes(pathname);
  return known
    ? { status: 405, body: methodNotAllowed(method, pathname) }
    : { status: 404, body: unknownUrl(method, pathname) };
}
