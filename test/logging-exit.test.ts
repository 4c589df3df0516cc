// The relay's log lines wait in a batch (src/logging/log-sink.ts): none may be
// lost when the process ends, by process.exit without a flush (a crash path)
// or by its event loop running dry. Runs the built logger in a child process.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const DIST = new URL('../dist/logging/', import.meta.url).href;

/** A script that logs pino lines and request lines on stdout, then ends as `ending` says. */
function script(ending: string): string {
  return `
    import { createLogger } from '${DIST}logger.js';
    import { requestLogger } from '${DIST}request-log.js';
    const logger = createLogger('info');
    const log = requestLogger(logger);
    logger.info('first');
    for (let i = 0; i < 3; i++)
      log.requestFinished({
        id: 'req-' + i, endpoint: 'chat/completions', model: 'gpt-4o-mini', stream: false,
        startedAt: 0, upstream: 'primary', upstreamModel: 'gpt-4o-mini', attempts: 1,
        firstTokenAt: undefined, usage: undefined, usageSource: undefined, overheadMs: 0.1,
      }, { outcome: 'success', status: 200, durationMs: 2, errorCode: undefined });
    logger.warn('last');
    ${ending}
  `;
}

async function linesOf(ending: string): Promise<{ msg: string; request_id?: string }[]> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(ending)]).catch(
    (err: { stdout: string; code: number }) => {
      expect(err.code).toBe(3); // the exit code the script chose
      return err;
    },
  );
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('log lines at exit', () => {
  const expected = ['first', 'request', 'request', 'request', 'last'];

  it('are all written, in order, when the process exits without a flush', async () => {
    const lines = await linesOf('process.exit(3);');
    expect(lines.map((l) => l.msg)).toEqual(expected);
    expect(lines.map((l) => l.request_id).filter(Boolean)).toEqual(['req-0', 'req-1', 'req-2']);
  });

  it('are all written when the event loop runs dry', async () => {
    const lines = await linesOf('');
    expect(lines.map((l) => l.msg)).toEqual(expected);
  });
});
