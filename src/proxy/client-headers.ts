// Headers Sheepdog sends its client: its own, plus the upstream headers a
// client may rely on (rate limits, Retry-After). Never the upstream's cookies,
// auth challenges or framing headers.

import type { IncomingHttpHeaders } from 'node:http';

const PASSED_THROUGH = new Set([
  'retry-after',
  'retry-after-ms',
  'openai-processing-ms',
  'openai-version',
  'openai-model',
]);

/** Flat name/value list for `res.writeHead`, with the upstream's pass-through headers appended. */
export function clientHeaders(
  requestId: string,
  upstream: string | undefined,
  contentType: string,
  upstreamHeaders?: IncomingHttpHeaders,
): string[] {
  const out = ['content-type', contentType, 'x-request-id', requestId];
  if (upstream) out.push('x-sheepdog-upstream', upstream);
  if (upstreamHeaders) {
    for (const name in upstreamHeaders) {
      if (!(name.startsWith('x-ratelimit-') || PASSED_THROUGH.has(name))) continue;
      const value = upstreamHeaders[name];
      if (typeof value === 'string') out.push(name, value);
      else if (Array.isArray(value) && value.length > 0) out.push(name, value.join(', '));
    }
  }
  return out;
}

/** The `content-type` of an upstream response, defaulting to JSON. */
export function contentTypeOf(headers: IncomingHttpHeaders): string {
  const value = headers['content-type'];
  return typeof value === 'string' && value.length > 0 ? value : 'application/json';
}
