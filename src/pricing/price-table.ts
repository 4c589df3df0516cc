// Prices per model, in integer micro-dollars per million tokens, so that
// tokens x price is an exact integer number of pico-dollars (1e-12 USD) and
// cost sums never drift. Lookup prefers what was actually billed: the
// upstream's own price for its own model name, then the global table.

import type { PriceInput, PricingConfig } from '../config/metrics-schema.js';
import type { Usage } from '../events/types.js';

/** Integer micro-dollars (1e-6 USD) per 1M tokens. */
export interface Price {
  readonly inputMicro: number;
  readonly outputMicro: number;
  readonly cachedInputMicro: number;
}

/**
 * The seed article's HolySheep prices, USD per 1M tokens. It quotes one rate per
 * model, so input, output and cached input all use it (see docs/metrics.md).
 */
export const DEFAULT_PRICES: Readonly<Record<string, PriceInput>> = {
  'gpt-4.1': 8,
  'claude-sonnet-4.5': 15,
  'gemini-2.5-flash': 2.5,
  'deepseek-v3.2': 0.42,
};

const toMicro = (usd: number): number => Math.round(usd * 1e6);

export function priceFrom(input: PriceInput): Price {
  if (typeof input === 'number') {
    const micro = toMicro(input);
    return { inputMicro: micro, outputMicro: micro, cachedInputMicro: micro };
  }
  return {
    inputMicro: toMicro(input.input),
    outputMicro: toMicro(input.output),
    cachedInputMicro: toMicro(input.cached_input ?? input.input),
  };
}

/** The billable parts of a usage: prompt tokens not from cache, cached prompt tokens, completion tokens. */
export function billableParts(usage: Usage): { uncached: number; cached: number; completion: number } {
  const cached = Math.min(usage.cachedPromptTokens, usage.promptTokens);
  return { uncached: usage.promptTokens - cached, cached, completion: usage.completionTokens };
}

/** Exact cost in pico-dollars as a BigInt (for tests and tools; the hot path uses UsdChild). */
export function costPico(price: Price, usage: Usage): bigint {
  const { uncached, cached, completion } = billableParts(usage);
  return (
    BigInt(uncached) * BigInt(price.inputMicro) +
    BigInt(cached) * BigInt(price.cachedInputMicro) +
    BigInt(completion) * BigInt(price.outputMicro)
  );
}

type Table = Map<string, Price>;

function tableOf(entries: Readonly<Record<string, PriceInput>>): Table {
  const table: Table = new Map();
  for (const [model, price] of Object.entries(entries)) table.set(model, priceFrom(price));
  // Case-insensitive fallbacks ("GPT-4.1" finds "gpt-4.1"), never over an exact entry.
  for (const [model, price] of [...table]) {
    const lower = model.toLowerCase();
    if (!table.has(lower)) table.set(lower, price);
  }
  return table;
}

function find(table: Table | undefined, model: string | undefined): Price | undefined {
  if (!table || model === undefined) return undefined;
  return table.get(model) ?? table.get(model.toLowerCase());
}

export class PriceTable {
  private readonly global: Table;
  private readonly perUpstream = new Map<string, Table>();

  constructor(config: PricingConfig) {
    this.global = tableOf({ ...(config.include_defaults ? DEFAULT_PRICES : {}), ...config.models });
    for (const [upstream, models] of Object.entries(config.upstreams))
      this.perUpstream.set(upstream, tableOf(models));
  }

  /** Model names the table prices explicitly (they count as configured names for the label guard). */
  modelNames(): string[] {
    const names = new Set<string>();
    for (const name of this.global.keys()) names.add(name);
    for (const table of this.perUpstream.values()) for (const name of table.keys()) names.add(name);
    return [...names];
  }

  /**
   * The price for a call to `upstream` that sent `upstreamModel` on behalf of a
   * client that asked for `clientModel`; undefined when the model is not priced.
   */
  lookup(
    upstream: string | undefined,
    upstreamModel: string | undefined,
    clientModel: string,
  ): Price | undefined {
    const own = upstream === undefined ? undefined : this.perUpstream.get(upstream);
    return (
      find(own, upstreamModel) ??
      find(own, clientModel) ??
      find(this.global, upstreamModel) ??
      find(this.global, clientModel)
    );
  }
}
