import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from './body.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server that reads each body with a 100-byte limit and hands the outcome to `seen`. */
async function listen(seen: (outcome: Promise<Buffer>) => void): Promise<number> {
  server = createServer((req, res) => {
    const outcome = readBody(req, 100);
    seen(outcome);
    outcome.then(
      (body) => res.end(`read ${body.length}`),
      () => {
        res.statusCode = 413;
        res.end('too large');
      },
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Sends `pieces` as a chunked body (no declared length); resolves with the status and answer. */
function send(port: number, pieces: string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

describe('readBody', () => {
  it('joins a body sent in pieces', async () => {
    let outcome: Promise<Buffer> | undefined;
    const port = await listen((o) => {
      outcome = o;
    });
    expect(await send(port, ['{"a":', '"bc"', '}'])).toEqual({ status: 200, text: 'read 10' });
    expect((await outcome!).toString()).toBe('{"a":"bc"}');
  });

  it('fails once an undeclared body passes the limit, and still answers', async () => {
    let outcome: Promise<Buffer> | undefined;
    const port = await listen((o) => {
      outcome = o;
    });
    const answer = await send(port, ['x'.repeat(60), 'y'.repeat(60), 'z'.repeat(500)]);
    expect(answer).toEqual({ status: 413, text: 'too large' });
    await expect(outcome!).rejects.toMatchObject({ code: 'body_too_large' });
  });

  it('fails when the client goes away in the middle of its body', async () => {
    let outcome: Promise<Buffer> | undefined;
    let arrived: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const port = await listen((o) => {
      outcome = o;
      arrived();
    });
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' });
    req.on('error', () => {});
    req.write('{"a":');
    await started;
    req.destroy();
    await expect(outcome!).rejects.toBeInstanceOf(Error);
  });
});
