// Orders a route's candidates for one request. Unusable candidates (open
// breaker, failed active check) are left out; ones cooling down after a 429
// go last. The first candidate gets the first attempt; the rest are the
// failover order.

import type { HealthRegistry } from './health.js';
import type { Candidate, Route } from './router.js';

/** Share of least-latency picks that explore another upstream, so a recovered one is noticed. */
const EXPLORE = 0.05;

export function orderCandidates(
  route: Route,
  stream: boolean,
  health: HealthRegistry,
  random: () => number = Math.random,
): readonly Candidate[] {
  // One candidate (the common setup): no list to build.
  if (route.candidates.length === 1) {
    const only = route.candidates[0]!;
    return health.available(only.upstream, route.model) ? route.candidates : [];
  }
  const usable: Candidate[] = [];
  const cooling: Candidate[] = [];
  for (const c of route.candidates) {
    if (!health.available(c.upstream, route.model)) continue;
    (health.coolingDown(c.upstream, route.model) ? cooling : usable).push(c);
  }
  if (usable.length > 1) {
    switch (route.strategy) {
      case 'weighted':
        weightedFirst(usable, random);
        break;
      case 'least-latency':
        leastLatencyFirst(usable, route.model, stream, health, random);
        break;
      case 'least-busy':
        leastBusyFirst(usable, health);
        break;
      default: // priority: config order
    }
  }
  return cooling.length === 0 ? usable : usable.concat(cooling);
}

/** Picks the first by weight; the rest keep their order as fallbacks. */
function weightedFirst(list: Candidate[], random: () => number): void {
  let total = 0;
  for (const c of list) total += c.upstream.weight;
  let point = random() * total;
  for (let i = 0; i < list.length; i++) {
    point -= list[i]!.upstream.weight;
    if (point < 0) {
      moveToFront(list, i);
      return;
    }
  }
}

/** Lowest EWMA of time to first byte/token first; unmeasured upstreams are tried first, to measure them. */
function leastLatencyFirst(
  list: Candidate[],
  model: string,
  stream: boolean,
  health: HealthRegistry,
  random: () => number,
): void {
  const ewma = (c: Candidate): number => health.tracker(c.upstream, model, stream).ewmaMs ?? -1;
  list.sort((a, b) => ewma(a) - ewma(b));
  if (random() < EXPLORE) moveToFront(list, 1 + Math.floor(random() * (list.length - 1)));
}

/** Fewest attempts in flight first; ties keep priority order (the sort is stable). */
function leastBusyFirst(list: Candidate[], health: HealthRegistry): void {
  list.sort((a, b) => health.state(a.upstream).inFlight - health.state(b.upstream).inFlight);
}

function moveToFront(list: Candidate[], i: number): void {
  if (i === 0) return;
  const [picked] = list.splice(i, 1);
  list.unshift(picked!);
}
