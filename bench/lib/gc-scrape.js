// Garbage collection inside a target that exports prom-client's process
// metrics (Sheepdog with metrics on): milliseconds of young- and
// old-generation collection per 1,000 requests over a step. Both counts come
// from the target's own /metrics, scraped once before the step and once
// after, so GC and requests cover the same window (warm-up included).
//
// Why: a bug that keeps requests alive past young collections (a JavaScript
// Set churned per request once did, see src/upstream/watcher-list.ts) shows
// here as 4x the young-generation time a request, long before it stands out
// of the CPU figures' noise; the instruction counts leave GC out altogether.

const GC_SUM = /^nodejs_gc_duration_seconds_sum\{kind="([a-z]+)"\} ([0-9.e+-]+)$/;
/** The bench runs Sheepdog with its default metric prefix. */
const REQUESTS = 'sheepdog_requests_total{';

/**
 * One scrape: GC seconds by kind and requests answered so far, or undefined
 * when the target has no metrics (or they do not answer).
 * @param {{ origin: string, metricsPath?: string }} target
 * @returns {Promise<{ gcS: Record<string, number>, requests: number } | undefined>}
 */
export async function scrapeGc(target) {
  if (!target.metricsPath) return undefined;
  try {
    const res = await fetch(`${target.origin}${target.metricsPath}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    /** @type {Record<string, number>} */
    const gcS = {};
    let requests = 0;
    for (const line of text.split('\n')) {
      const gc = GC_SUM.exec(line);
      if (gc) gcS[/** @type {string} */ (gc[1])] = Number(gc[2]);
      else if (line.startsWith(REQUESTS)) requests += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return { gcS, requests };
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds a 1,000 requests between two scrapes: `minor` (scavenges),
 * `major` (mark-compact, with its incremental steps); undefined without both.
 * @param {Awaited<ReturnType<typeof scrapeGc>>} before
 * @param {Awaited<ReturnType<typeof scrapeGc>>} after
 */
export function gcPer1k(before, after) {
  if (!before || !after) return undefined;
  const requests = after.requests - before.requests;
  if (requests <= 0) return undefined;
  const delta = (/** @type {string} */ kind) => (after.gcS[kind] ?? 0) - (before.gcS[kind] ?? 0);
  const perK = (/** @type {number} */ s) => (1e6 * s) / requests;
  return { minor: perK(delta('minor')), major: perK(delta('major') + delta('incremental')) };
}
