// POST /v1/embeddings: deterministic unit vectors per input, as float arrays or base64 float32.

import { embeddingJson, embeddingVector } from './embedding-vectors.js';
import {
  checkCommon,
  type Endpoint,
  type EndpointConfig,
  invalid,
  type Reply,
  usageTotals,
} from './endpoint.js';
import { invalidParam } from './errors.js';
import { countPromptTokens, promptInputs } from './prompt.js';

export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;
const MAX_DIMENSIONS = 8192;
// Benchmarks repeat the same inputs; encoding 1536 floats is the only costly step, so keep recent results.
const CACHE_ENTRIES = 512;

export function createEmbeddingsEndpoint(config: EndpointConfig): Endpoint {
  const encoded = new Map<string, string>();

  function embeddingText(input: string, dimensions: number, format: 'float' | 'base64'): string {
    const key = `${format}:${dimensions}:${input}`;
    const cached = encoded.get(key);
    if (cached !== undefined) return cached;
    const text = embeddingJson(embeddingVector(config.seed, input, dimensions), format);
    if (encoded.size >= CACHE_ENTRIES) encoded.clear();
    encoded.set(key, text);
    return text;
  }

  return (rawBody: unknown): Reply => {
    const checked = checkCommon(rawBody, 'input');
    if ('rejected' in checked) return checked.rejected;
    const { body } = checked;
    const inputs = promptInputs(body.input);
    if (inputs.length === 0) return invalid(invalidParam('input', 'a string or a non-empty array'));
    const dimensions = body.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    if (
      typeof dimensions !== 'number' ||
      !Number.isInteger(dimensions) ||
      dimensions < 1 ||
      dimensions > MAX_DIMENSIONS
    ) {
      return invalid(invalidParam('dimensions', `an integer from 1 to ${MAX_DIMENSIONS}`));
    }
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      return invalid(invalidParam('encoding_format', "'float' or 'base64'"));
    }
    const data = inputs.map(
      (input, index) =>
        `{"object":"embedding","index":${index},"embedding":${embeddingText(input, dimensions, format)}}`,
    );
    const promptTokens = countPromptTokens(body);
    const usage = usageTotals(promptTokens, 0);
    const wireUsage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
    const json = `{"object":"list","data":[${data.join(',')}],"model":${JSON.stringify(body.model)},"usage":${JSON.stringify(wireUsage)}}`;
    return { kind: 'json', body: json, usage, rateTokens: promptTokens };
  };
}
