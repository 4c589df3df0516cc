/**
 * The upstream simulator: an OpenAI-compatible server on raw node:http that stands in for every LLM provider in
 * Sheepdog's tests and benchmarks. Content, token counts and injected faults are deterministic.
 *
 * @example
 * const sim = await startSimulator({ faults: { error_rate: 0.25 } });
 * const client = new OpenAI({ baseURL: sim.url, apiKey: 'x' });
 * // ... exercise the relay, then:
 * expect(sim.stats().errors_injected).toBe(10);
 * await sim.close();
 */
export { DEFAULT_FAULTS, faultsPatchSchema } from './faults.js';
export {
  type CompletionOptions,
  type CompletionPlan,
  generateCompletion,
  planCompletion,
} from './generate.js';
export { DEFAULT_MODELS } from './models.js';
export { countPromptTokens } from './prompt.js';
export { DEFAULT_RATE_LIMIT, formatOpenAIDuration, RATE_WINDOW_MS, RateWindow } from './rate-limit.js';
export { startSimulator } from './server.js';
export type {
  Faults,
  RateLimitOptions,
  RecordedRequest,
  Simulator,
  SimulatorOptions,
  SimulatorStats,
  UsageTotals,
} from './types.js';
