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

interface Server {
  readonly server_address: string;
  readonly server_port: string;
}

export class GenAiRecorder implements RelayObserver {
  private readonly f: FamilySet;
  private readonly modelLabel: (model: string) => string;
  private readonly servers = new Map<string, Server>();
  private readonly children = new Map<string, HistogramChild>();
  private readonly errorTypes = new Set<string>();

  constructor(options: GenAiOptions) {
    this.f = options.families;
    this.modelLabel = options.modelLabel;
    for (const u of options.upstreams) {
      const url = new URL(u.base_url);
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      this.servers.set(u.name, { server_address: url.hostname, server_port: port });
    }
  }

  /**
   * Histogram child for a label set. The key is built per event here: this
   * recorder is opt-in and the standard's label sets do not map onto
   * Sheepdog's slot cache.
   */
  private child(family: string, labels: Record<string, string>): HistogramChild {
    let key = family;
    for (const name in labels) key += `\u0000${labels[name]}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.f.histogram(family).child(labels as LabelSet);
      this.children.set(key, child);
    }
    return child;
  }

  private common(req: RequestRecord): Record<string, string> {
    return {
      gen_ai_operation_name: OPERATION[req.endpoint],
      gen_ai_provider_name: PROVIDER,
      gen_ai_request_model: this.modelLabel(req.model),
    };
  }

  private server(upstream: string | undefined): Server {
    return (upstream && this.servers.get(upstream)) || { server_address: '', server_port: '' };
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
    this.child('genaiClientDuration', {
      ...this.common(req),
      ...this.server(result.upstream),
      error_type: errorType,
    }).observe(result.durationMs / 1000);
  }

  firstToken(req: RequestRecord, ttftMs: number): void {
    const common = this.common(req);
    this.child('genaiClientTtfc', { ...common, ...this.server(req.upstream) }).observe(ttftMs / 1000);
    this.child('genaiServerTtft', common).observe(ttftMs / 1000);
  }

  usageKnown(req: RequestRecord, usage: Usage, source: UsageSource): void {
    if (source !== 'reported') return;
    const labels = { ...this.common(req), gen_ai_token_type: 'input', ...this.server(req.upstream) };
    this.child('genaiTokenUsage', labels).observe(usage.promptTokens);
    if (req.endpoint !== 'embeddings')
      this.child('genaiTokenUsage', { ...labels, gen_ai_token_type: 'output' }).observe(
        usage.completionTokens,
      );
  }

  requestFinished(req: RequestRecord, info: FinishInfo): void {
    const common = this.common(req);
    const errorType =
      info.outcome === 'success'
        ? ''
        : this.errorType(
            info.outcome === 'upstream_error' ? String(info.status) : (info.errorCode ?? info.outcome),
          );
    this.child('genaiServerDuration', { ...common, error_type: errorType }).observe(info.durationMs / 1000);
    const completion = req.usage?.completionTokens ?? 0;
    if (req.stream && info.outcome === 'success' && req.firstTokenAt !== undefined && completion > 1) {
      const decodeMs = req.startedAt + info.durationMs - req.firstTokenAt;
      this.child('genaiServerTpot', common).observe(decodeMs / 1000 / (completion - 1));
    }
  }
}
