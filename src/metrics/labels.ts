// Label values that are safe to export: client-chosen model names are capped,
// upstream names come from the config only, status codes must be real HTTP
// codes. A label that can take unbounded values is how a metrics endpoint
// takes down the Prometheus that scrapes it.

import { OTHER } from './definitions.js';

/**
 * The `model` label: configured names always pass; up to `maxOthers` other
 * names get their own value, first come first served, and every later one is
 * `other`. A name, once admitted, stays admitted, so one request's events all
 * carry the same value.
 */
export class ModelLabelGuard<T> {
  private readonly entries = new Map<string, T>();
  private others = 0;
  readonly other: T;

  constructor(
    configured: Iterable<string>,
    private readonly maxOthers: number,
    private readonly make: (label: string) => T,
  ) {
    for (const name of configured) if (!this.entries.has(name)) this.entries.set(name, make(name));
    const other = this.entries.get(OTHER) ?? make(OTHER);
    this.entries.set(OTHER, other);
    this.other = other;
  }

  /** The name `get` was last asked for, and its entry: a request's events ask several times in a row. */
  private lastModel: string | undefined;
  private lastEntry: T | undefined;

  /** The entry for a raw model name (one map lookup once the name is known; none when asked again). */
  get(model: string): T {
    if (model === this.lastModel) return this.lastEntry as T;
    const entry = this.find(model);
    // A name's entry never changes once given (`other` stays `other`: the count of others only grows).
    this.lastModel = model;
    this.lastEntry = entry;
    return entry;
  }

  private find(model: string): T {
    const entry = this.entries.get(model);
    if (entry !== undefined) return entry;
    if (this.others >= this.maxOthers || !isPrintable(model)) return this.other;
    this.others++;
    const made = this.make(model);
    this.entries.set(model, made);
    return made;
  }

  /** Distinct label values handed out so far (configured, admitted and `other`). */
  get size(): number {
    return this.entries.size;
  }
}

/** Printable ASCII up to 128 characters: anything else (control bytes, huge names) is `other`. */
function isPrintable(value: string): boolean {
  if (value.length === 0 || value.length > 128) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

const STATUS_LABELS: string[] = [];
for (let code = 100; code <= 599; code++) STATUS_LABELS[code] = String(code);

/** A real HTTP status code as a label value (no allocation), anything else `other`. */
export function statusLabel(status: number | undefined): string {
  if (status === undefined) return 'none';
  return (Number.isInteger(status) && STATUS_LABELS[status]) || OTHER;
}
