// POST /v1/chat/completions: a `chat.completion` object, or `chat.completion.chunk` events when streaming.

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

interface ChatUsage extends UsageTotals {
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

function chatUsage(promptTokens: number, completionTokens: number): ChatUsage {
  return {
    ...usageTotals(promptTokens, completionTokens),
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

export function createChatEndpoint(config: EndpointConfig): Endpoint {
  return (rawBody: unknown): Reply => {
    const checked = checkCommon(rawBody, 'messages');
    if ('rejected' in checked) return checked.rejected;
    const { body } = checked;
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return invalid(invalidParam('messages', 'a non-empty array of messages'));
    }
    const model = String(body.model);
    const { tokens, finishReason } = planCompletion(config.seed, body, config.completion);
    const usage = chatUsage(countPromptTokens(body), tokens.length);
    const id = `chatcmpl-sim${config.nextId().toString(36)}`;
    const created = nowSeconds();
    if (body.stream === true) {
      const plan = streamPlan(
        id,
        created,
        model,
        chunkTexts(tokens, config.tokensPerChunk),
        finishReason,
        usage,
        wantsStreamUsage(body),
      );
      return { kind: 'stream', plan, rateTokens: usage.total_tokens };
    }
    const completion = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: tokens.join(''), refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    };
    return { kind: 'json', body: JSON.stringify(completion), usage, rateTokens: usage.total_tokens };
  };
}

/** Chunks are assembled from string pieces: one JSON.stringify per chunk text instead of per object. */
function streamPlan(
  id: string,
  created: number,
  model: string,
  texts: string[],
  finishReason: string,
  usage: ChatUsage,
  includeUsage: boolean,
): StreamPlan {
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":`;
  // With include_usage, OpenAI puts `"usage":null` on every chunk before the usage-only one.
  const end = includeUsage ? ',"usage":null}' : '}';
  const choice = (delta: string, finish: string): string =>
    sseEvent(`${head}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${end}`);
  return {
    opening: choice('{"role":"assistant","content":""}', 'null'),
    contentEvents: texts.map((text) => choice(`{"content":${JSON.stringify(text)}}`, 'null')),
    closing: choice('{}', `"${finishReason}"`),
    usageEvent: includeUsage ? sseEvent(`${head}[],"usage":${JSON.stringify(usage)}}`) : '',
    usage: includeUsage ? usage : null,
  };
}
