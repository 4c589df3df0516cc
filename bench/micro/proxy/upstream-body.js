// src/proxy/upstream-body.ts: the body for an upstream that calls the model
// by another name (an alias, e.g. OpenRouter's `openai/gpt-4.1`): the name
// spliced into the client's bytes, against re-serialising the whole body.

import { requestBody, SCENARIOS } from '../../lib/scenarios.js';
import { dist } from '../fixtures.js';

const { parseJsonObject } = await dist('server/body.js');
const { prepareUpstreamBody } = await dist('proxy/upstream-body.js');

const raw = Buffer.from(requestBody(/** @type {any} */ (SCENARIOS.find((s) => s.id === 'json-ctx-max'))));
const { body } = parseJsonObject(raw);
const fields = { model: 'gpt-4.1', stream: false, streamOptions: undefined };

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: `renamed, ${raw.length} B conversation (spliced)`,
    fn: () => prepareUpstreamBody('chat/completions', body, fields).forModel('openai/gpt-4.1'),
  },
  {
    name: 'the same re-serialised (before, and the fallback)',
    fn: () => {
      // As the fallback does it: copied, then set (a spread followed by more properties is slow on Node 20).
      const out = { ...body.text() };
      out.model = 'openai/gpt-4.1';
      return JSON.stringify(out);
    },
  },
];
