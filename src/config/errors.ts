// Turns schema and interpolation problems into messages a user can act on:
// the bad path, what was expected, and an example of a good value.

import type { z } from 'zod';

export interface ConfigProblem {
  path: string;
  message: string;
  example?: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(source: string, problems: ConfigProblem[]) {
    const lines = problems.map(
      (p) =>
        `  - ${p.path || '(top level)'}: ${p.message}${p.example ? `\n      example: ${p.example}` : ''}`,
    );
    super(`Invalid configuration in ${source}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Example values by key name, shown under an error at that key. */
const EXAMPLES: Record<string, string> = {
  listen: 'listen: 0.0.0.0:5000',
  upstreams:
    'upstreams:\n        - name: holysheep\n          base_url: https://api.holysheep.ai/v1\n          api_key: ${HOLYSHEEP_API_KEY}',
  name: 'name: holysheep',
  base_url: 'base_url: https://api.holysheep.ai/v1',
  api_key: 'api_key: ${HOLYSHEEP_API_KEY}',
  models: 'models: [gpt-4.1, deepseek-v3.2]',
  headers: 'headers: { HTTP-Referer: https://example.com }',
  max_connections: 'max_connections: 256',
  body_limit: 'body_limit: 8mb',
  max_event_bytes: 'max_event_bytes: 1mb',
  level: 'level: info',
  shutdown_timeout_ms: 'shutdown_timeout_ms: 30000',
  timeouts: 'timeouts: { connect_ms: 3000, first_token_ms: 10000 }',
};

/** Keys whose values are secrets: never echoed back in an error. */
const SECRET_KEY = /key|token|secret|password|authorization/i;

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function exampleFor(path: ReadonlyArray<PropertyKey>): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i];
    if (typeof key !== 'string') continue;
    if (EXAMPLES[key]) return EXAMPLES[key];
    if (key.endsWith('_ms')) return `${key}: 10000`;
    return undefined;
  }
  return undefined;
}

function describeInput(path: ReadonlyArray<PropertyKey>, input: unknown): string {
  const last = path[path.length - 1];
  if (typeof last === 'string' && SECRET_KEY.test(last)) return '';
  if (input === undefined) return ', but it is missing';
  const shown = JSON.stringify(input);
  if (shown === undefined) return '';
  return `, got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
}

export function problemsFromZod(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return { path: formatPath(issue.path), message: `unknown key ${keys} (check the spelling)` };
    }
    const input = 'input' in issue ? issue.input : undefined;
    let message = issue.message;
    if (issue.code === 'invalid_type' && input === undefined)
      message = `is required (expected ${issue.expected})`;
    else if (!message.startsWith('expected') && !message.startsWith('Invalid input: expected'))
      message = `expected ${message}`;
    message = message.replace(/^Invalid input: /, '');
    const path = [...issue.path];
    const suffix = issue.code === 'invalid_type' && input === undefined ? '' : describeInput(path, input);
    const example = exampleFor(path);
    return { path: formatPath(path), message: message + suffix, ...(example ? { example } : {}) };
  });
}
