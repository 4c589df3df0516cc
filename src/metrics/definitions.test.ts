import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS,
  defaultLabelProfile,
  FAMILIES,
  instantiateFamilies,
  type ResolvedFamily,
  resolveFamilies,
} from './definitions.js';

const PROM_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const byName = (families: ResolvedFamily[]): Map<string, readonly string[]> =>
  new Map(families.map((f) => [f.name, f.labels]));

describe('metric definitions', () => {
  it('reproduces the seed article five families exactly with prefix holysheep', () => {
    expect(defaultLabelProfile('holysheep')).toBe('seed');
    const names = byName(resolveFamilies({ prefix: 'holysheep', profile: 'seed', genai: false }));
    // Names and label sets exactly as in the seed's relay_server.py.
    expect(names.get('holysheep_requests_total')).toEqual(['endpoint', 'model', 'status_code']);
    expect(names.get('holysheep_request_duration_seconds')).toEqual(['endpoint', 'model']);
    expect(names.get('holysheep_tokens_total')).toEqual(['model', 'token_type']);
    expect(names.get('holysheep_active_requests')).toEqual(['model']);
    expect(names.get('holysheep_rate_limit_remaining')).toEqual(['model']);
    // Tokens headroom, which the seed's label set cannot carry, has a family of its own there.
    expect(names.get('holysheep_rate_limit_remaining_tokens')).toEqual(['upstream', 'model']);
  });

  it('gives every family its full labels in the full profile', () => {
    expect(defaultLabelProfile('sheepdog')).toBe('full');
    const names = byName(resolveFamilies({ prefix: 'sheepdog', profile: 'full', genai: false }));
    expect(names.get('sheepdog_requests_total')).toEqual([
      'endpoint',
      'model',
      'status_code',
      'upstream',
      'outcome',
    ]);
    expect(names.get('sheepdog_request_duration_seconds')).toEqual(['endpoint', 'model', 'upstream']);
    expect(names.get('sheepdog_tokens_total')).toEqual(['model', 'token_type', 'upstream']);
    expect(names.get('sheepdog_rate_limit_remaining')).toEqual(['upstream', 'model', 'limit']);
    expect(names.has('sheepdog_rate_limit_remaining_tokens')).toBe(false);
    expect([...names.keys()].some((n) => n.startsWith('gen_ai_'))).toBe(false);
  });

  it('adds the OpenTelemetry GenAI histograms, unprefixed, only when asked', () => {
    const families = resolveFamilies({ prefix: 'sheepdog', profile: 'full', genai: true });
    const genai = families.filter((f) => f.name.startsWith('gen_ai_')).map((f) => f.name);
    expect(genai).toEqual([
      'gen_ai_client_token_usage',
      'gen_ai_client_operation_duration_seconds',
      'gen_ai_client_operation_time_to_first_chunk_seconds',
      'gen_ai_server_request_duration_seconds',
      'gen_ai_server_time_to_first_token_seconds',
      'gen_ai_server_time_per_output_token_seconds',
    ]);
    const usage = families.find((f) => f.name === 'gen_ai_client_token_usage')!;
    expect(usage.labels).toContain('gen_ai_token_type');
    expect(usage.def.buckets?.at(-1)).toBe(67108864);
  });

  it('has unique, valid names; counters end in _total; buckets include the seed ones', () => {
    const keys = new Set<string>();
    const names = new Set<string>();
    for (const def of FAMILIES) {
      expect(keys.has(def.key), def.key).toBe(false);
      keys.add(def.key);
      expect(names.has(def.name), def.name).toBe(false);
      names.add(def.name);
      expect(def.name).toMatch(PROM_NAME);
      for (const label of [...def.labels, ...(def.seedLabels ?? [])]) expect(label).toMatch(PROM_NAME);
      expect(def.name.endsWith('_total')).toBe(def.kind === 'counter');
      if (def.kind === 'histogram') expect(def.buckets?.length).toBeGreaterThan(0);
      if (def.unit === 'seconds') expect(def.name.endsWith('_seconds')).toBe(true);
    }
    expect(DURATION_BUCKETS[0]).toBe(0.005);
    expect(DURATION_BUCKETS.at(-1)).toBe(120);
    for (const b of [0.1, 0.25, 0.5, 1, 2.5, 5, 10]) expect(DURATION_BUCKETS).toContain(b);
  });

  it('instantiates every family in the registry it is given, and only there', async () => {
    const registry = new Registry();
    const set = instantiateFamilies(registry, { prefix: 'p', profile: 'full', genai: true });
    const json = await registry.getMetricsAsJSON();
    expect(json.map((m) => m.name)).toEqual(
      resolveFamilies({ prefix: 'p', profile: 'full', genai: true }).map((f) => f.name),
    );
    expect(() => set.counter('requestDuration')).toThrow(/not a CounterFamily/);
    expect(set.histogram('requestDuration').buckets).toEqual(DURATION_BUCKETS);
  });

  it('documents every family in docs/metrics.md', () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    for (const def of FAMILIES) {
      const name = def.prefixed ? `<p>_${def.name}` : def.name;
      expect(doc, name).toContain(`\`${name}\``);
      for (const label of def.labels) expect(doc, `${name} ${label}`).toContain(label);
    }
  });
});
