// POST /v1/completions (legacy): a `text_completion` object or its stream of `text_completion` chunks.
// An array `prompt` is answered with a single choice generated from all its parts (spec choice, see index.ts).

import {
  checkCommon,
  type Endpoint,
  type EndpointConfig,
  invalid,
  nowSeconds,
  type Reply,
  SYSTEM_FINGERPRINT,
  usageTotals,
  wantsStreamUsage,
} from './endpoint.js';
import { invalidParam } from './errors.js';
import { planCompletion } from './generate.js';
import { countPromptTokens } from './prompt.js';
import { chunkTexts, type StreamPlan, sseEvent } from './sse-stream.js';
import type { UsageTotals } from './types.js';

export function createCompletionsEndpoint(config: EndpointConfig): Endpoint {
  return (rawBody: unknown): Reply => {
    const checked = checkCommon(rawBody, 'prompt');
    if ('rejected' in checked) return checked.rejected;
    const { body } = checked;
    if (typeof body.prompt !== 'string' && !Array.isArray(body.prompt)) {
      return invalid(invalidParam('prompt', 'a string or an array'));
    }
    const model = String(body.model);
    const { tokens, finishReason } = planCompletion(config.seed, body, config.completion);
    const usage = usageTotals(countPromptTokens(body), tokens.length);
    const id = `cmpl-sim${config.nextId().toString(36)}`;
    const created = nowSeconds();
    if (body.stream === true) {
      const texts = chunkTexts(tokens, config.tokensPerChunk);
      const plan = streamPlan(id, created, model, texts, finishReason, usage, wantsStreamUsage(body));
      return { kind: 'stream', plan, rateTokens: usage.total_tokens };
    }
    const completion = {
      id,
      object: 'text_completion',
      created,
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [{ text: tokens.join(''), index: 0, logprobs: null, finish_reason: finishReason }],
      usage,
    };
    return { kind: 'json', body: JSON.stringify(completion), usage, rateTokens: usage.total_tokens };
  };
}

function streamPlan(
  id: string,
  created: number,
  model: string,
  texts: string[],
  finishReason: string,
  usage: UsageTotals,
  includeUsage: boolean,
): StreamPlan {
  const head = `{"id":${JSON.stringify(id)},"object":"text_completion","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":`;
  const end = includeUsage ? ',"usage":null}' : '}';
  const choice = (text: string, finish: string): string =>
    sseEvent(
      `${head}[{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":${finish}}]${end}`,
    );
  return {
    opening: '',
    contentEvents: texts.map((text) => choice(text, 'null')),
    closing: choice('', `"${finishReason}"`),
    usageEvent: includeUsage ? sseEvent(`${head}[],"usage":${JSON.stringify(usage)}}`) : '',
    usage: includeUsage ? usage : null,
  };
}
