// Headers Sheepdog sends its client: its own, plus the upstream headers a
// client may rely on (rate limits, Retry-After, OpenAI's processing time,
// version and model: `UpstreamHeaders.passThrough`). Never the upstream's
// cookies, auth challenges, framing headers or organisation.

import type { UpstreamHeaders } from '../upstream/upstream-headers.js';

/** Flat name/value list for `res.writeHead`, with the upstream's pass-through headers appended. */
export function clientHeaders(
  requestId: string,
  upstream: string | undefined,
  contentType: string,
  upstreamHeaders?: UpstreamHeaders,
): string[] {
  const out = ['content-type', contentType, 'x-request-id', requestId];
  if (upstream) out.push('x-sheepdog-upstream', upstream);
  if (upstreamHeaders) {
    const passed = upstreamHeaders.passThrough;
    for (let i = 0; i < passed.length; i++) out.push(passed[i]!);
  }
  return out;
}

/** The `content-type` of an upstream response, defaulting to JSON. */
export function contentTypeOf(headers: UpstreamHeaders): string {
  const value = headers.contentType;
  return value !== undefined && value.length > 0 ? value : 'application/json';
}
