// The deploy part of the ops kit: docker-compose.yml (relay, Prometheus,
// Alertmanager, Grafana, and the simulator under the demo profile) with its
// relay configuration, .env.example and placeholder secrets.

import type { KitFile, KitOptions, KitPart } from '../kit.js';
import { composeFile } from './compose.js';
import { companionFiles } from './files.js';

export { IMAGES } from './images.js';

export const renderDeploy: KitPart = (options: KitOptions): KitFile[] => [
  { path: 'docker-compose.yml', content: composeFile(options) },
  ...companionFiles(options),
];
