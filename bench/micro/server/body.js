// src/server/body.ts: parsing a request body for routing. A real chat sends its
// whole conversation each turn; in any language but English most of it is
// beyond ASCII, which V8 decodes from UTF-8 into a two-byte string, slowly.

import { requestBody, SCENARIOS } from '../../lib/scenarios.js';
import { dist } from '../fixtures.js';

const { parseJsonObject } = await dist('server/body.js');

/** The bench's json-ctx-max body: a 16 KB Vietnamese support conversation. */
const conversation = Buffer.from(
  requestBody(/** @type {any} */ (SCENARIOS.find((s) => s.id === 'json-ctx-max'))),
);
const ascii = Buffer.from(conversation.toString('utf8').replace(/[^\x20-\x7e]/g, 'x'));

/** @type {import('../harness.js').Case[]} */
export const cases = [
  {
    name: `${conversation.length} B Vietnamese conversation (as parsed)`,
    fn: () => parseJsonObject(conversation),
  },
  {
    name: 'the same, decoded as UTF-8 and parsed (before)',
    fn: () => JSON.parse(conversation.toString('utf8')),
  },
  { name: 'the same bytes made ASCII (as parsed)', fn: () => parseJsonObject(ascii) },
];
