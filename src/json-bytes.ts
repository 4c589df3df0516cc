// Small reads of JSON text as bytes, for the places that must find one value
// in a body without parsing all of it.

/** The index of the first byte at or after `i` that is not JSON whitespace. */
export function skipJsonSpace(buf: Buffer, i: number): number {
  let at = i;
  while (at < buf.length) {
    const c = buf[at];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    at++;
  }
  return at;
}

/** True when the byte at `i` is escaped: preceded by an odd run of backslashes. */
export function isEscaped(buf: Buffer, i: number): boolean {
  let run = 0;
  for (let at = i - 1; at >= 0 && buf[at] === 0x5c; at--) run++;
  return run % 2 === 1;
}

/** Index just past the closing quote of the JSON string whose opening quote is at `start`; -1 if unterminated. */
export function jsonStringEnd(buf: Buffer, start: number): number {
  for (let at = buf.indexOf(0x22, start + 1); at >= 0; at = buf.indexOf(0x22, at + 1)) {
    if (!isEscaped(buf, at)) return at + 1;
  }
  return -1;
}
