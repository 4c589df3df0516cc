// Renders the whole ops kit: every part's files, in a stable order.

import { renderAlertmanager } from './alertmanager.js';
import { renderDeploy } from './deploy/index.js';
import { renderGrafana } from './grafana/index.js';
import type { KitFile, KitOptions, KitPart } from './kit.js';
import { renderPrometheus } from './prometheus.js';

export const KIT_PARTS: readonly KitPart[] = [
  renderPrometheus,
  renderAlertmanager,
  renderGrafana,
  renderDeploy,
];

export function renderKit(options: KitOptions, parts: readonly KitPart[] = KIT_PARTS): KitFile[] {
  const files = parts.flatMap((part) => part(options));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new Error(`ops kit: two parts render ${file.path}`);
    seen.add(file.path);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
