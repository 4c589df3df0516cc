// Opt-in OpenTelemetry GenAI semantic-convention histograms, for dashboards
// that follow the standard. Sheepdog is both a GenAI server (to its clients)
// and a GenAI client (of its upstreams); every upstream speaks the OpenAI API,
// so gen_ai_provider_name is `openai` (the telemetry flavour) and the upstream
// is told apart by server_address / server_port.

import type {
  AttemptResult,
  Endpoint,
  FinishInfo,
  RelayObserver,
  RequestRecord,
  Usage,
  UsageSource,
} from '../events/types.js';
import type { FamilySet } from './definitions.js';
import type { HistogramChild, LabelSet } from './instruments.js';

const OPERATION: Record<Endpoint, string> = {
  'chat/completions': 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
};
const PROVIDER = 'openai';
/** Distinct error_type values before the rest become `_OTHER` (the convention's fallback). */
const MAX_ERROR_TYPES = 32;

export interface GenAiOptions {
  readonly families: FamilySet;
  /** The `model` label a raw model name gets (the same guard as Sheepdog's own families). */
  readonly modelLabel: (model: string) => string;
  /** Configured upstreams: name and base URL. */
  readonly upstreams: ReadonlyArray<{ readonly name: string; readonly base_url: string }>;
}

/**
 * The series of one (operation, model label) pair and, under it, of each
 * upstream: created on first use, so an event costs a few map lookups and
 * field updates. (Building each event's label object by spreading and a key
 * from it cost ~23 us a streamed request on Node 20: V8 takes a slow path for
 * a spread followed by more properties; docs/benchmarks.md.)
 */
class ServerSlot {
  readonly labels: Readonly<Record<string, string>>;
  ttft: HistogramChild | undefined;
  tpot: HistogramChild | undefined;
  readonly duration = new Map<string, HistogramChild>();
  readonly upstreams = new Map<string, ClientSlot>();
  constructor(operation: string, model: string) {
    this.labels = Object.freeze({
      gen_ai_operation_name: operation,
      gen_ai_provider_name: PROVIDER,
      gen_ai_request_model: model,
    });
  }
}

/** The client-side series (Sheepdog calling one upstream) under a ServerSlot. */
class ClientSlot {
  readonly labels: Readonly<Record<string, string>>;
  ttfc: HistogramChild | undefined;
  input: HistogramChild | undefined;
  output: HistogramChild | undefined;
  readonly duration = new Map<string, HistogramChild>();
  constructor(common: Readonly<Record<string, string>>, address: string, port: string) {
    this.labels = Object.freeze(Object.assign({ server_address: address, server_port: port }, common));
  }
}

/** `labels` plus one more, for a child's creation only. */
const withLabel = (labels: Readonly<Record<string, string>>, name: string, value: string): LabelSet =>
  Object.assign({ [name]: value }, labels);

export class GenAiRecorder implements RelayObserver {
  private readonly f: FamilySet;
  private readonly modelLabel: (model: string) => string;
  private readonly servers = new Map<string, { readonly address: string; readonly port: string }>();
  /** By endpoint, then model label. */
  private readonly slots: Record<Endpoint, Map<string, ServerSlot>> = {
    'chat/completions': new Map(),
    completions: new Map(),
    embeddings: new Map(),
  };
  private readonly errorTypes = new Set<string>();

  constructor(options: GenAiOptions) {
    this.f = options.families;
    this.modelLabel = options.modelLabel;
    for (const u of options.upstreams) {
      const url = new URL(u.base_url);
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      this.servers.set(u.name, { address: url.hostname, port });
    }
  }

  private server(req: RequestRecord): ServerSlot {
    const byModel = this.slots[req.endpoint];
    const model = this.modelLabel(req.model);
    let slot = byModel.get(model);
    if (!slot) {
      slot = new ServerSlot(OPERATION[req.endpoint], model);
      byModel.set(model, slot);
    }
    return slot;
  }

  private client(req: RequestRecord, upstream: string | undefined): ClientSlot {
    const server = this.server(req);
    const name = upstream ?? '';
    let slot = server.upstreams.get(name);
    if (!slot) {
      const known = upstream === undefined ? undefined : this.servers.get(upstream);
      slot = new ClientSlot(server.labels, known?.address ?? '', known?.port ?? '');
      server.upstreams.set(name, slot);
    }
    return slot;
  }

  /** A slot's duration series for one `error_type`, made on first use. */
  private durationChild(family: string, slot: ServerSlot | ClientSlot, errorType: string): HistogramChild {
    let child = slot.duration.get(errorType);
    if (!child) {
      child = this.f.histogram(family).child(withLabel(slot.labels, 'error_type', errorType));
      slot.duration.set(errorType, child);
    }
    return child;
  }

  private errorType(value: string): string {
    if (this.errorTypes.has(value)) return value;
    if (this.errorTypes.size >= MAX_ERROR_TYPES) return '_OTHER';
    this.errorTypes.add(value);
    return value;
  }

  attemptFinished(req: RequestRecord, result: AttemptResult): void {
    const failed = result.outcome !== 'completed' || (result.status !== undefined && result.status >= 400);
    const errorType = !failed
      ? ''
      : this.errorType(result.outcome === 'completed' ? String(result.status) : result.outcome);
    const slot = this.client(req, result.upstream);
    this.durationChild('genaiClientDuration', slot, errorType).observe(result.durationMs / 1000);
  }

  firstToken(req: RequestRecord, ttftMs: number): void {
    const client = this.client(req, req.upstream);
    client.ttfc ??= this.f.histogram('genaiClientTtfc').child(client.labels);
    client.ttfc.observe(ttftMs / 1000);
    const server = this.server(req);
    server.ttft ??= this.f.histogram('genaiServerTtft').child(server.labels);
    server.ttft.observe(ttftMs / 1000);
  }

  usageKnown(req: RequestRecord, usage: Usage, source: UsageSource): void {
    if (source !== 'reported') return;
    const slot = this.client(req, req.upstream);
    slot.input ??= this.f
      .histogram('genaiTokenUsage')
      .child(withLabel(slot.labels, 'gen_ai_token_type', 'input'));
    slot.input.observe(usage.promptTokens);
    if (req.endpoint === 'embeddings') return;
    slot.output ??= this.f
      .histogram('genaiTokenUsage')
      .child(withLabel(slot.labels, 'gen_ai_token_type', 'output'));
    slot.output.observe(usage.completionTokens);
  }

  requestFinished(req: RequestRecord, info: FinishInfo): void {
    const slot = this.server(req);
    const errorType =
      info.outcome === 'success'
        ? ''
        : this.errorType(
            info.outcome === 'upstream_error' ? String(info.status) : (info.errorCode ?? info.outcome),
          );
    this.durationChild('genaiServerDuration', slot, errorType).observe(info.durationMs / 1000);
    const completion = req.usage?.completionTokens ?? 0;
    if (req.stream && info.outcome === 'success' && req.firstTokenAt !== undefined && completion > 1) {
      const decodeMs = req.startedAt + info.durationMs - req.firstTokenAt;
      slot.tpot ??= this.f.histogram('genaiServerTpot').child(slot.labels);
      slot.tpot.observe(decodeMs / 1000 / (completion - 1));
    }
  }
}
