// The `bare` target: the least a Node proxy can do. It reads the client's
// body, sends it upstream through a keep-alive undici Pool, and pipes the
// answer back byte for byte with backpressure. No parsing, no accounting,
// no logs: the ceiling Sheepdog is measured against.
//
// Usage: node bench/targets/bare-proxy.js --port N --upstream http://127.0.0.1:PORT [--connections 2048]
//        [--touch-kb N]   (bench/host-sensitivity.js: touch N KB of scattered memory a request, timed)

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    upstream: { type: 'string' },
    connections: { type: 'string', default: '2048' },
    'touch-kb': { type: 'string', default: '0' },
  },
});
if (!values.upstream) throw new Error('--upstream is required');

const pool = new Pool(values.upstream, {
  connections: Number(values.connections),
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
});

/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1), plus the ones undici sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'host',
  'content-length',
]);

/** @param {Array<string | Buffer>} raw flat name/value list */
function forwardable(raw) {
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString();
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString());
  }
  return out;
}

/**
 * undici's legacy dispatch handler (no header parsing into objects, no wrapper):
 * the cheapest way to get a response's bytes with backpressure.
 * @param {import('node:http').ServerResponse} res
 */
function pipeTo(res) {
  /** @type {(() => void) | undefined} */
  let resume;
  /** @type {((err: Error) => void) | undefined} */
  let abort;
  res.on('close', () => {
    if (!res.writableFinished) abort?.(new Error('client gone'));
  });
  return {
    onConnect(/** @type {(err: Error) => void} */ a) {
      abort = a;
    },
    onHeaders(/** @type {number} */ status, /** @type {Buffer[]} */ raw, /** @type {() => void} */ r) {
      resume = r;
      res.writeHead(status, forwardable(raw));
      return true;
    },
    onData(/** @type {Buffer} */ chunk) {
      if (res.write(chunk)) return true;
      res.once('drain', () => resume?.());
      return false;
    },
    onComplete() {
      res.end();
    },
    onError(/** @type {Error} */ err) {
      if (res.headersSent) res.destroy(err);
      else {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: err.message, type: 'bare_proxy_error' } }));
      }
    },
  };
}

/**
 * `--touch-kb N`: a request first touches N KB of memory as scattered cache
 * lines (16 a KB, one byte each, a stride through 64 MB so none is cached),
 * the way a relay holding more state per request would. It times itself, so
 * host-sensitivity.js can compare what the touch costs with what the whole
 * request then costs: on a host whose caches decide, the rest of the request
 * slows down too. 0 (the bench's `bare`): nothing is allocated or touched.
 */
const touchLines = Number(values['touch-kb']) * 16;
const scattered = touchLines > 0 ? new Uint8Array(64 * 1024 * 1024) : undefined;
const touched = { calls: 0, ns: 0n };
let line = 0;
function touch() {
  const t = process.hrtime.bigint();
  const memory = /** @type {Uint8Array} */ (scattered);
  const lines = memory.length / 64;
  for (let i = 0; i < touchLines; i++) {
    line = (line + 40_503) % lines; // a prime stride: every line in turn, in no order a prefetcher follows
    memory[line * 64]++;
  }
  touched.calls++;
  touched.ns += process.hrtime.bigint() - t;
}

/**
 * The proxy itself: read the body, dispatch, pipe the answer back.
 * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 */
function forward(req, res) {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    pool.dispatch(
      {
        method: /** @type {import('undici').Dispatcher.HttpMethod} */ (req.method),
        path: req.url ?? '/',
        headers: forwardable(req.rawHeaders),
        body,
      },
      pipeTo(res),
    );
  });
}

/**
 * With `--touch-kb`: the touch first, and its own count on `GET /__bench/touch`.
 * (A separate handler: the ceiling as the bench runs it does not even test for this.)
 * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 */
function touchThenForward(req, res) {
  if (req.url === '/__bench/touch') {
    res.end(JSON.stringify({ calls: touched.calls, ns: Number(touched.ns) }));
    return;
  }
  touch();
  forward(req, res);
}

const server = createServer({ keepAliveTimeout: 65_000 }, scattered ? touchThenForward : forward);

server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ listening: typeof address === 'object' ? address?.port : address })}\n`,
  );
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.destroy().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
