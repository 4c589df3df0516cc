// Writes a planned SSE response with the stream faults (ttft, chunk delay, stall, cut) and backpressure.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Exchange } from './exchange.js';
import type { StatsCollector } from './stats.js';
import type { Faults, UsageTotals } from './types.js';

export const DONE_EVENT = 'data: [DONE]\n\n';

/** Every event is already framed (`data: …\n\n`), so writing is concatenation only. */
export interface StreamPlan {
  /** Sent together with the first content event (the chat role chunk); may be ''. */
  opening: string;
  /** One event per content chunk; faults count these. */
  contentEvents: string[];
  /** The finish_reason event. */
  closing: string;
  /** The usage-only event, or '' when the caller did not ask for usage. */
  usageEvent: string;
  /** Added to the stats only when `usageEvent` is actually written. */
  usage: UsageTotals | null;
}

export function sseEvent(json: string): string {
  return `data: ${json}\n\n`;
}

/** Groups tokens into chunk texts of `tokensPerChunk` tokens each. */
export function chunkTexts(tokens: readonly string[], tokensPerChunk: number): string[] {
  if (tokensPerChunk <= 1) return tokens.slice();
  const texts: string[] = [];
  for (let i = 0; i < tokens.length; i += tokensPerChunk) {
    texts.push(tokens.slice(i, i + tokensPerChunk).join(''));
  }
  return texts;
}

function tail(plan: StreamPlan, stats: StatsCollector): string {
  if (plan.usage !== null && plan.usageEvent !== '') stats.addUsage(plan.usage);
  return plan.closing + plan.usageEvent + DONE_EVENT;
}

export async function runStream(
  ex: Exchange,
  plan: StreamPlan,
  faults: Faults,
  headers: OutgoingHttpHeaders,
  stats: StatsCollector,
): Promise<void> {
  const { res } = ex;
  headers['content-type'] = 'text/event-stream';
  headers['cache-control'] = 'no-cache';
  res.writeHead(200, headers);

  const events = plan.contentEvents;
  const count = events.length;
  const cutAt = faults.cut_stream_after > 0 ? Math.min(faults.cut_stream_after, count) : -1;
  const stallAfter = faults.stall_after > 0 ? faults.stall_after : Math.floor(count / 2);
  const stallAt = faults.stall_ms > 0 ? Math.min(stallAfter, count) : -1;
  const chunkDelayMs = faults.chunk_delay_ms;

  // Unpaced: one write for the whole body, which is what keeps benchmarks off the simulator's CPU.
  if (faults.ttft_ms <= 0 && chunkDelayMs <= 0 && stallAt < 0 && cutAt < 0) {
    res.end(plan.opening + events.join('') + tail(plan, stats));
    return;
  }

  if (faults.ttft_ms > 0) {
    res.flushHeaders();
    if (!(await ex.sleep(faults.ttft_ms))) return;
  }
  let pending = plan.opening;
  for (let i = 0; i < count; i++) {
    if (i === stallAt && !(await ex.sleep(faults.stall_ms))) return;
    if (i > 0 && chunkDelayMs > 0 && !(await ex.sleep(chunkDelayMs))) return;
    const text = pending + (events[i] ?? '');
    pending = '';
    if (i + 1 === cutAt) {
      stats.counters.cuts_injected += 1;
      ex.cutAfter(text);
      return;
    }
    if (!res.write(text) && !(await ex.waitDrain())) return;
  }
  if (stallAt === count && !(await ex.sleep(faults.stall_ms))) return;
  res.end(pending + tail(plan, stats));
}
