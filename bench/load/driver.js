// The load driver: a separate process (pinned by the runner) that the runner
// commands over IPC. Three ways to load a target:
//   rate   open loop: requests leave on a fixed schedule whatever the answers
//          do, and latency is measured from the scheduled time, so a stall
//          is charged to every request it delayed (no coordinated omission);
//   closed a fixed number of requests in flight, each sent when one ends;
//   hold   N streams kept open at once (for memory), reopened if one ends.
// It uses undici's legacy dispatch handler: the cheapest client Node has,
// since this process shares its core with the upstream simulator.

import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { Histogram } from './histogram.js';
import { slotTarget } from './schedule.js';

const epochNow = () => performance.timeOrigin + performance.now();
const DONE_MARK = Buffer.from('[DONE]');
const REOPEN_AFTER_MS = 250;

/**
 * @typedef {object} Request
 * @property {string} origin   e.g. http://127.0.0.1:5000
 * @property {string} path
 * @property {string[]} headers flat name/value list
 * @property {string} body
 * @property {boolean} stream  true: the answer must be SSE ending in [DONE]
 *
 * @typedef {{ status: Record<string, number>, errors: Record<string, number> }} Tally
 */

function newTally() {
  return {
    ok: 0,
    status: /** @type {Record<string, number>} */ ({}),
    errors: /** @type {Record<string, number>} */ ({}),
  };
}

/**
 * Sends one request; calls `done(error | undefined, firstByteEpochMs, endEpochMs)`.
 * @param {Pool} pool
 * @param {Request} req
 * @param {(err: string | undefined, firstAt: number, endAt: number, status: number) => void} done
 * @param {(abort: (e: Error) => void) => void} [onAbortable]
 */
function send(pool, req, done, onAbortable) {
  let status = 0;
  let firstAt = 0;
  let tail = Buffer.alloc(0);
  let finished = false;
  const finish = (/** @type {string | undefined} */ err) => {
    if (finished) return;
    finished = true;
    done(err, firstAt, epochNow(), status);
  };
  pool.dispatch(
    { method: 'POST', path: req.path, headers: req.headers, body: req.body },
    {
      onConnect(abort) {
        onAbortable?.(abort);
      },
      onHeaders(s) {
        status = s;
        return true;
      },
      onData(chunk) {
        if (firstAt === 0) firstAt = epochNow();
        if (req.stream) tail = chunk.length >= 32 ? chunk : Buffer.concat([tail, chunk]).subarray(-32);
        return true;
      },
      onComplete() {
        if (status !== 200) finish(`http_${status}`);
        else if (req.stream && tail.indexOf(DONE_MARK) < 0) finish('stream_incomplete');
        else finish(undefined);
      },
      onError(err) {
        finish(/** @type {{ code?: string }} */ (err).code ?? err.name);
      },
    },
  );
}

/** @param {Tally} tally @param {string | undefined} err @param {number} status */
function count(tally, err, status) {
  if (status > 0) tally.status[status] = (tally.status[status] ?? 0) + 1;
  if (err === undefined) tally.ok += 1;
  else tally.errors[err] = (tally.errors[err] ?? 0) + 1;
}

/** @param {string} origin @param {number} connections */
function poolFor(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

/**
 * Open loop at `rate` requests/s for warmupMs + durationMs; only requests
 * scheduled after the warm-up are measured.
 *
 * With several `requests` (one per target) the targets share one schedule,
 * interleaved in slots of `slotMs`: each target gets the rate during its
 * slots and the same number of slots, in an order rotated every round. A
 * stall of the machine (another tenant, the host) then falls on every target
 * alike instead of on whichever ran at that moment, so differences between
 * targets are the targets' own. Results come back per target, in order.
 * @param {{ request?: Request, requests?: Request[], slotMs?: number, rate: number, warmupMs: number, durationMs: number, connections: number, drainMs: number }} job
 * @param {(mark: string) => void} mark
 */
async function runRate(job, mark) {
  const requests = job.requests ?? (job.request ? [job.request] : []);
  const k = requests.length;
  const { rate, warmupMs, durationMs } = job;
  const slotMs = job.slotMs ?? 100;
  const pools = requests.map((r) => poolFor(r.origin, job.connections));
  const intervalMs = 1000 / rate;
  const total = Math.round((k * (warmupMs + durationMs)) / intervalMs);
  const firstMeasured = Math.round((k * warmupMs) / intervalMs);
  const per = requests.map(() => ({
    latency: new Histogram(),
    ttfb: new Histogram(),
    lateness: new Histogram(),
    tally: newTally(),
    sent: 0,
  }));
  let outstanding = 0;
  let measuredEnd = 0;
  /** @type {Set<(e: Error) => void>} */
  const aborts = new Set();
  const startEpochMs = epochNow() + 30;
  let next = 0;
  /** @type {() => void} */
  let allDone = () => {};
  const finished = new Promise((resolve) => {
    allDone = () => resolve(undefined);
  });
  const fire = (/** @type {number} */ n) => {
    const scheduled = startEpochMs + n * intervalMs;
    const measured = n >= firstMeasured;
    const t = slotTarget(n, intervalMs, slotMs, k);
    const mine = /** @type {(typeof per)[number]} */ (per[t]);
    if (n === firstMeasured) mark('measure-start');
    if (measured) {
      mine.sent++;
      mine.lateness.record((epochNow() - scheduled) * 1000);
    }
    outstanding++;
    /** @type {((e: Error) => void) | undefined} */
    let abort;
    send(
      /** @type {Pool} */ (pools[t]),
      /** @type {Request} */ (requests[t]),
      (err, firstAt, endAt, status) => {
        if (abort) aborts.delete(abort);
        if (measured) {
          count(mine.tally, err, status);
          if (err === undefined) {
            mine.latency.record((endAt - scheduled) * 1000);
            mine.ttfb.record((firstAt - scheduled) * 1000);
          }
          measuredEnd = Math.max(measuredEnd, endAt);
        }
        if (--outstanding === 0 && next >= total) allDone();
      },
      (a) => {
        abort = a;
        aborts.add(a);
      },
    );
  };

  const clock = new Worker(new URL('./clock-worker.js', import.meta.url), {
    workerData: { startEpochMs, intervalMs, count: total },
  });
  clock.on('message', (/** @type {number} */ due) => {
    while (next < due) fire(next++);
    if (next >= total && outstanding === 0) allDone();
  });
  await new Promise((resolve) => clock.once('exit', resolve));
  // Bounded drain: whatever has not answered by then is counted as a timeout.
  const timer = setTimeout(allDone, job.drainMs);
  await finished;
  clearTimeout(timer);
  mark('measure-end');
  if (outstanding > 0) {
    // Charged to the targets still owing answers: whatever was sent and neither succeeded nor failed.
    for (const p of per) {
      const answered = p.tally.ok + Object.values(p.tally.errors).reduce((a, b) => a + b, 0);
      if (p.sent > answered) p.tally.errors.timeout = (p.tally.errors.timeout ?? 0) + p.sent - answered;
    }
  }
  for (const abort of aborts) abort(new Error('bench run over'));
  await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  const measureStart = startEpochMs + firstMeasured * intervalMs;
  const windowS = Math.max(0.001, ((measuredEnd || epochNow()) - measureStart) / 1000);
  // Each target was loaded for its share of the window (its slots).
  const elapsedS = windowS / k;
  const results = per.map((p) => ({
    sent: p.sent,
    elapsedS,
    windowS,
    rps: p.tally.ok / elapsedS,
    tally: p.tally,
    latency: p.latency.toJSON(),
    ttfb: p.ttfb.toJSON(),
    lateness: p.lateness.toJSON(),
  }));
  return job.requests ? results : results[0];
}

/**
 * Closed loop: `concurrency` requests always in flight (used when wrk is missing).
 * @param {{ request: Request, concurrency: number, warmupMs: number, durationMs: number }} job
 * @param {(mark: string) => void} mark
 */
async function runClosed(job, mark) {
  const { request, concurrency } = job;
  const pool = poolFor(request.origin, concurrency);
  const latency = new Histogram();
  const ttfb = new Histogram();
  const tally = newTally();
  const t0 = epochNow();
  const measureFrom = t0 + job.warmupMs;
  const end = measureFrom + job.durationMs;
  let marked = false;
  const loop = () =>
    new Promise((resolve) => {
      const one = () => {
        const sentAt = epochNow();
        if (sentAt >= end) return resolve(undefined);
        if (!marked && sentAt >= measureFrom) {
          marked = true;
          mark('measure-start');
        }
        send(pool, request, (err, firstAt, endAt, status) => {
          if (sentAt >= measureFrom) {
            count(tally, err, status);
            if (err === undefined) {
              latency.record((endAt - sentAt) * 1000);
              ttfb.record((firstAt - sentAt) * 1000);
            }
          }
          one();
        });
      };
      one();
    });
  await Promise.all(Array.from({ length: concurrency }, loop));
  mark('measure-end');
  const elapsedS = (epochNow() - measureFrom) / 1000;
  await pool.close().catch(() => {});
  return {
    sent: tally.ok,
    elapsedS,
    rps: tally.ok / elapsedS,
    tally,
    latency: latency.toJSON(),
    ttfb: ttfb.toJSON(),
  };
}

/**
 * Keeps `concurrency` streams open for holdMs after a ramp of rampMs, reporting
 * progress each second; every stream is cut at the end.
 * @param {{ request: Request, concurrency: number, rampMs: number, holdMs: number }} job
 * @param {(mark: string, detail?: object) => void} mark
 */
async function runHold(job, mark) {
  const { request, concurrency } = job;
  const pool = poolFor(request.origin, concurrency);
  const tally = newTally();
  const ttfb = new Histogram();
  /** @type {Set<(e: Error) => void>} */
  const aborts = new Set();
  let open = 0;
  let opened = 0;
  let firstBytes = 0;
  let stopping = false;
  const openOne = () => {
    if (stopping) return;
    open++;
    opened++;
    /** @type {((e: Error) => void) | undefined} */
    let abort;
    const sentAt = epochNow();
    send(
      pool,
      request,
      (err, firstAt, _endAt, status) => {
        open--;
        if (firstAt > 0) ttfb.record((firstAt - sentAt) * 1000);
        if (abort) aborts.delete(abort);
        if (firstAt > 0) firstBytes++;
        if (stopping) return;
        count(tally, err ?? 'stream_ended_early', status);
        // Like a real client: back off before opening a replacement, so a failing target is not hammered.
        setTimeout(openOne, REOPEN_AFTER_MS);
      },
      (a) => {
        abort = a;
        aborts.add(a);
      },
    );
  };
  const perStep = Math.max(1, Math.ceil(concurrency / Math.max(1, job.rampMs / 20)));
  for (let started = 0; started < concurrency; started += perStep) {
    for (let i = 0; i < perStep && started + i < concurrency; i++) openOne();
    await new Promise((r) => setTimeout(r, 20));
  }
  mark('ramped', { open });
  const t0 = epochNow();
  while (epochNow() - t0 < job.holdMs) {
    await new Promise((r) => setTimeout(r, 1000));
    mark('tick', { open, connected: aborts.size });
  }
  stopping = true;
  const openAtEnd = aborts.size;
  for (const abort of aborts) abort(new Error('bench hold over'));
  mark('measure-end');
  await pool.destroy().catch(() => {});
  return { openAtEnd, opened, firstBytes, tally, ttfb: ttfb.toJSON() };
}

const RUNNERS = { rate: runRate, closed: runClosed, hold: runHold };

process.on('message', async (/** @type {{ id: number, kind: keyof typeof RUNNERS, job: any }} */ msg) => {
  if (/** @type {{ type?: string }} */ (msg).type === 'exit') process.exit(0);
  const mark = (/** @type {string} */ name, /** @type {object} */ detail = {}) =>
    process.send?.({ id: msg.id, mark: name, at: epochNow(), ...detail });
  try {
    const result = await RUNNERS[msg.kind](msg.job, mark);
    process.send?.({ id: msg.id, result });
  } catch (err) {
    process.send?.({ id: msg.id, error: err instanceof Error ? err.stack : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
