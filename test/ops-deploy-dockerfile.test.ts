// Issue 4: the relay's Dockerfile, linted with dockerfile-utils (the
// validator of VS Code's Docker extension; hadolint is not in Debian) with
// every rule an error, and read for what the issue asks of it: multi-stage,
// production dependencies only at run time, non-root, a /healthz check, the
// relay as entrypoint, and a build context without secrets.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per build stage (continuation lines joined, comments dropped). */
function stages(dockerfile: string): Instruction[][] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
  const result: Instruction[][] = [[]];
  for (const line of lines) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim() };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)!.push(instruction);
  }
  return result;
}

const ALL_RULES_AS_ERRORS = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

describe('Dockerfile', () => {
  let dockerfile = '';
  beforeAll(async () => {
    dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  });

  it('lints clean with dockerfile-utils, every rule at error severity (and the linter does flag a bad file)', () => {
    const problems = validate(dockerfile, ALL_RULES_AS_ERRORS).map(
      (d) => `line ${d.range.start.line + 1}: ${d.message}`,
    );
    expect(problems).toEqual([]);
    const broken = 'FROM node:20\nworkdir app\nHEALTHCHECK --intervl=5s CMD ["true"]\nCMD ["a"]\nCMD ["b"]\n';
    expect(validate(broken, ALL_RULES_AS_ERRORS).length).toBeGreaterThanOrEqual(4);
  });

  it('builds in one stage with dev dependencies and runs from a slim one with production dependencies only', () => {
    const [preamble, build, runtime, ...rest] = stages(dockerfile);
    expect(rest).toEqual([]);
    const image = /^ARG NODE_IMAGE=(node:(\d+)\.(\d+)\.(\d+)-\w+-slim)$/.exec(
      preamble!.map((i) => `${i.keyword} ${i.args}`).join('\n'),
    );
    expect(image, 'a pinned slim Node image').not.toBeNull();
    // The pinned Node satisfies package.json's engines (>=20.18.1).
    const [major, minor] = [Number(image![2]), Number(image![3])];
    expect(major === 20 ? minor >= 18 : major > 20).toBe(true);
    expect(build![0]).toEqual({ keyword: 'FROM', args: '${NODE_IMAGE} AS build' });
    expect(build!.some((i) => i.keyword === 'RUN' && /^npm ci\b(?!.*--omit=dev)/.test(i.args))).toBe(true);
    expect(build!.some((i) => i.keyword === 'RUN' && i.args === 'npm run build')).toBe(true);
    expect(runtime![0]).toEqual({ keyword: 'FROM', args: '${NODE_IMAGE} AS runtime' });
    expect(runtime!.some((i) => i.keyword === 'RUN' && /^npm ci .*--omit=dev/.test(i.args))).toBe(true);
    // Only the compiled output crosses over from the build stage.
    const fromBuild = runtime!.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from='));
    expect(fromBuild.map((i) => i.args)).toEqual(['--from=build /app/dist ./dist']);
  });

  it('runs as a non-root user, exposes 5000, checks /healthz and starts the relay', () => {
    const runtime = stages(dockerfile).at(-1)!;
    const last = (keyword: string): string | undefined =>
      runtime.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last('USER')).toBe('node');
    expect(last('EXPOSE')).toBe('5000');
    expect(last('HEALTHCHECK')).toMatch(
      /^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+\s+CMD \["node", "-e", .*\/healthz/,
    );
    const entrypoint = JSON.parse(last('ENTRYPOINT')!) as string[];
    const cmd = JSON.parse(last('CMD')!) as string[];
    expect([...entrypoint, ...cmd].filter((a) => !a.startsWith('--'))).toEqual([
      'node',
      'dist/cli/main.js',
      'start',
    ]);
    // The USER comes before the entrypoint, after the last RUN.
    const order = runtime.map((i) => i.keyword);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
  });

  it('keeps the build context to what the build copies: no node_modules, .git, ops secrets or .env', async () => {
    const ignore = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const pattern of ['**/node_modules', '.git', 'ops', '**/.env', 'dist'])
      expect(ignore).toContain(pattern);
    // Nothing the Dockerfile copies from the context is ignored.
    const copied = stages(dockerfile)
      .flat()
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect([...new Set(copied)].sort()).toEqual([
      'package-lock.json',
      'package.json',
      'src',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    for (const path of copied)
      expect(ignore.some((p) => p === path || p === `${path.split('/')[0]}`)).toBe(false);
  });
});
