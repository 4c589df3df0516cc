// Request ids generated for clients that send none: random (version 4) UUIDs,
// written as ASCII into a scratch buffer and read back as one flat string.
// `crypto.randomUUID()` joins sixteen hex pairs and four dashes into a string
// of twenty pieces, which the first reader (the response header's check, the
// log line) then flattens: ~4k instructions a request counted by callgrind,
// against ~1k here. The randomness is the same: bytes from the system's
// CSPRNG, drawn a pool at a time as `randomUUID` itself does.

import { randomFillSync } from 'node:crypto';

const UUID_BYTES = 16;
/** Ids drawn per refill: one `getrandom` call every this many requests. */
const POOL_IDS = 256;
const pool = Buffer.allocUnsafeSlow(UUID_BYTES * POOL_IDS);
let poolAt = pool.length;
/** An id's 36 characters before they become a string. */
const scratch = Buffer.allocUnsafeSlow(36);
/** The two ASCII hex digits of each byte value, high then low. */
const HEX_DIGITS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const hex = b.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * b] = hex.charCodeAt(0);
  HEX_DIGITS[2 * b + 1] = hex.charCodeAt(1);
}
/** Where each of the 16 bytes' two digits go in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const DIGITS_AT = Uint8Array.of(0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34);
// The dashes never move: written once.
for (const at of [8, 13, 18, 23]) scratch[at] = 0x2d;

/** A new random UUID (RFC 9562 version 4), lower-case: `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`. */
export function newRequestId(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const from = poolAt;
  poolAt += UUID_BYTES;
  pool[from + 6] = (pool[from + 6]! & 0x0f) | 0x40; // version 4
  pool[from + 8] = (pool[from + 8]! & 0x3f) | 0x80; // variant 10xx
  for (let k = 0; k < UUID_BYTES; k++) {
    const digits = 2 * pool[from + k]!;
    const at = DIGITS_AT[k]!;
    scratch[at] = HEX_DIGITS[digits]!;
    scratch[at + 1] = HEX_DIGITS[digits + 1]!;
  }
  return scratch.toString('latin1', 0, 36);
}
