// Prometheus duration strings (`5m`, `1h30m`, `2s500ms`): parse, format and
// scale them, so tests can render the whole kit with short windows and `for:`.

const UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** Milliseconds of a Prometheus duration (`1d`, `6h`, `30m`, `10s`, `500ms` and combinations). */
export function parseDuration(text: string): number {
  const re = /(\d+)(ms|d|h|m|s)/y;
  let ms = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const match = re.exec(text);
    if (!match) throw new Error(`not a Prometheus duration: "${text}"`);
    ms += Number(match[1]) * UNITS.find(([unit]) => unit === match[2])![1];
    pos = re.lastIndex;
  }
  if (text.length === 0) throw new Error('empty duration');
  return ms;
}

/** The canonical Prometheus form of a whole number of milliseconds (`0s` for zero). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** `duration` times `scale`, at least `minMs` (whole milliseconds). */
export function scaleDuration(duration: string, scale: number, minMs = 0): string {
  if (scale === 1 && parseDuration(duration) >= minMs) return duration;
  return formatDuration(Math.max(Math.round(parseDuration(duration) * scale), minMs));
}
