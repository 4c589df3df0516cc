// GET /v1/models: the configured model ids in OpenAI's list shape, serialized once at start.
import type { Endpoint, EndpointConfig, Reply } from './endpoint.js';

export const DEFAULT_MODELS: readonly string[] = [
  'gpt-4.1',
  'claude-sonnet-4.5',
  'gemini-2.5-flash',
  'deepseek-v3.2',
  'gpt-4o-mini',
  'text-embedding-3-small',
];

// A fixed date, so the listing is byte-identical across runs.
const MODELS_CREATED_S = 1_700_000_000;

export function createModelsEndpoint(config: EndpointConfig): Endpoint {
  const listing = {
    object: 'list',
    data: config.models.map((id) => ({
      id,
      object: 'model',
      created: MODELS_CREATED_S,
      owned_by: 'sheepdog-simulator',
    })),
  };
  const reply: Reply = { kind: 'json', body: JSON.stringify(listing), usage: null, rateTokens: null };
  return () => reply;
}
