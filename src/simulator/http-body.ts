// Reads a request body into a string, with a size cap and without throwing when the caller hangs up.
import type { IncomingMessage } from 'node:http';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export type BodyResult = { kind: 'text'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

const TOO_LARGE: BodyResult = { kind: 'too_large' };
const ABORTED: BodyResult = { kind: 'aborted' };

export function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let sizeBytes = 0;
    req.on('data', (chunk: Buffer) => {
      sizeBytes += chunk.length;
      // Keep draining past the cap so the 413 can still be written on this connection.
      if (sizeBytes <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (sizeBytes > maxBytes) return resolve(TOO_LARGE);
      const text =
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      resolve({ kind: 'text', text });
    });
    // After 'end' these are no-ops: a promise settles once.
    req.on('error', () => resolve(ABORTED));
    req.on('close', () => resolve(ABORTED));
  });
}
