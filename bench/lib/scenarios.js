// What each step sends and how. Durations are short because every target runs
// every scenario three times inside about five minutes; `--scale` stretches them.

export const PROMPT = 'Write a short poem about a sheepdog watching the flock at dusk.';

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {'rate' | 'closed'} kind
 * @property {boolean} stream
 * @property {number} chunks       content chunks per answer (the simulator sends one token per chunk)
 * @property {number} [contextBytes] earlier turns sent with the prompt, in bytes of JSON (a real chat's context)
 * @property {number} [rate]       requests/s (open loop)
 * @property {number} [concurrency] requests in flight (closed loop)
 * @property {number} [paceMs]     the simulator waits this long between chunks (a provider's pace: one event per read)
 * @property {number} durationMs   measured part (wrk rounds it to whole seconds)
 * @property {number} warmupMs     run first, not measured
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: 'json-500',
    title: 'JSON chat, 500 req/s (open loop)',
    kind: 'rate',
    stream: false,
    chunks: 20,
    rate: 500,
    durationMs: 3000,
    warmupMs: 500,
  },
  {
    id: 'json-2000',
    title: 'JSON chat, 2,000 req/s (open loop)',
    kind: 'rate',
    stream: false,
    chunks: 20,
    rate: 2000,
    durationMs: 2500,
    warmupMs: 500,
  },
  {
    id: 'json-max',
    title: 'JSON chat, 64 in flight (max throughput)',
    kind: 'closed',
    stream: false,
    chunks: 20,
    concurrency: 64,
    durationMs: 2000,
    warmupMs: 500,
  },
  {
    id: 'sse20-500',
    title: 'SSE, 20 chunks, 500 streams/s (open loop)',
    kind: 'rate',
    stream: true,
    chunks: 20,
    rate: 500,
    durationMs: 2500,
    warmupMs: 500,
  },
  {
    id: 'json-ctx-max',
    title: 'JSON chat with a 16 KB Vietnamese conversation, 64 in flight',
    kind: 'closed',
    stream: false,
    chunks: 20,
    contextBytes: 16 * 1024,
    concurrency: 64,
    durationMs: 2000,
    warmupMs: 500,
  },
  {
    id: 'sse20-max',
    title: 'SSE, 20 chunks, 64 in flight (max throughput)',
    kind: 'closed',
    stream: true,
    chunks: 20,
    concurrency: 64,
    durationMs: 2000,
    warmupMs: 500,
  },
  {
    // An unpaced stream reaches the relay in one read; a provider sends one token at a time, so the relay
    // reads, accounts and writes each event on its own. Every target gets the same ~600 streams/s here:
    // compare CPU per stream (per CPU-s vs bare), not req/s.
    id: 'sse20-paced',
    title: "SSE, 20 chunks 5 ms apart, 64 in flight (a provider's pace)",
    kind: 'closed',
    stream: true,
    chunks: 20,
    concurrency: 64,
    paceMs: 5,
    durationMs: 3000,
    warmupMs: 500,
  },
  {
    id: 'sse1000-max',
    title: 'SSE, 1,000 chunks, 16 in flight (long stream)',
    kind: 'closed',
    stream: true,
    chunks: 1000,
    concurrency: 16,
    durationMs: 2000,
    warmupMs: 500,
  },
];

/** The scenarios the throughput bar is judged on (the worst of them). */
export const THROUGHPUT_BAR_SCENARIOS = ['json-max', 'json-ctx-max', 'sse20-max'];

/**
 * Which targets run a step, so the whole bench stays near five minutes:
 * `sheepdog-nometrics` exists for the metrics-off throughput bar, so it runs
 * the bar's scenarios only; a peer (Portkey) is 10-100x slower than the relay
 * and its repetitions took a third of the run, so it runs once per scenario.
 * @param {string} target @param {string} scenarioId @param {number} rep
 */
export function runsStep(target, scenarioId, rep) {
  if (target === 'sheepdog-nometrics') return THROUGHPUT_BAR_SCENARIOS.includes(scenarioId);
  if (target === 'portkey') return rep === 1;
  return true;
}

/** Warm-up of every target before the steps: each of these at 16 in flight, then WARM_UP_RATE's open loop. */
export const WARM_UP_CLOSED = ['json-max', 'sse20-max', 'json-ctx-max'];
export const WARM_UP_RATE = 'json-500';
/** How long each warm-up part runs, ms. */
export const WARM_UP_MS = 1500;

/**
 * Whether a target shares the fixed-rate steps' interleaved schedule: every
 * target but a peer, whose backlog (Portkey cannot keep up with 500 req/s)
 * would spill into the other targets' slots on the shared relay core.
 * @param {string} target
 */
export const interleaves = (target) => target !== 'portkey';

/** The simulator runs with this fixed completion length; shorter answers ask for max_tokens. */
export const SIM_COMPLETION_TOKENS = 1000;

/**
 * `clientUsage`: the client asks for the usage chunk itself (the bench's clients do not, as most do not).
 * @param {{ stream: boolean, chunks: number, contextBytes?: number, clientUsage?: boolean }} s
 */
export function requestBody(s) {
  const body = {
    model: 'gpt-4.1',
    messages: [...conversation(s.contextBytes ?? 0), { role: 'user', content: PROMPT }],
    ...(s.chunks < SIM_COMPLETION_TOKENS ? { max_tokens: s.chunks } : {}),
    ...(s.stream ? { stream: true } : {}),
    ...(s.stream && s.clientUsage ? { stream_options: { include_usage: true } } : {}),
  };
  return JSON.stringify(body);
}

/**
 * The seed's case: a shop's support chatbot in Vietnamese, whose every
 * request carries the conversation so far. Most of its bytes are beyond
 * ASCII, as in any language but English.
 */
const TURNS = [
  ['system', 'Bạn là trợ lý bán hàng của cửa hàng điện máy. Trả lời ngắn gọn, lịch sự, bằng tiếng Việt.'],
  ['user', 'Tôi muốn mua laptop dưới 20 triệu cho con học đại học ngành kiến trúc, cần chạy được AutoCAD.'],
  [
    'assistant',
    'Dạ, với ngân sách dưới 20 triệu và nhu cầu chạy AutoCAD, anh/chị có thể tham khảo các mẫu có card đồ họa rời, RAM 16 GB và màn hình 15,6 inch. Bên em đang có chương trình giảm giá Black Friday đến hết ngày mai.',
  ],
  ['user', 'Máy nào pin lâu nhất? Con tôi hay học ở thư viện cả ngày, không tiện cắm sạc.'],
  [
    'assistant',
    'Dạ, mẫu pin lâu nhất trong tầm giá dùng được khoảng 9 đến 10 tiếng khi học và soạn thảo; khi chạy AutoCAD thì khoảng 4 tiếng. Anh/chị có muốn em so sánh chi tiết ba mẫu bán chạy nhất không ạ?',
  ],
];

/** Whole turns, in order and repeated, until their JSON reaches `bytes`. @param {number} bytes */
function conversation(bytes) {
  /** @type {Array<{ role: string, content: string }>} */
  const messages = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const [role, content] = /** @type {[string, string]} */ (
      TURNS[i === 0 ? 0 : 1 + ((i - 1) % (TURNS.length - 1))]
    );
    messages.push({ role, content });
    size += Buffer.byteLength(JSON.stringify(messages.at(-1))) + 1;
  }
  return messages;
}

/** The memory step: this many streams held open at once, paced by the simulator. */
export const OPEN_STREAMS = {
  id: 'streams-2000',
  title: '2,000 open streams (memory)',
  concurrency: 2000,
  rampMs: 5000,
  /** Default hold when --soak is not given, seconds. */
  defaultHoldS: 15,
  /** Other targets hold at most this long even under --soak, seconds. */
  peerHoldS: 10,
};

/** Pause between chunks so a 1,000-chunk stream outlasts the hold, at a rate the relay barely notices. */
export function chunkDelayMs(/** @type {number} */ holdS) {
  return Math.max(500, Math.ceil(holdS + 30));
}
