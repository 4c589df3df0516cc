// Pinned images of the compose stack. Prometheus stays on the 2.53 LTS line:
// the rules are tested with promtool 2.x, and 3.x changed regex and `le`
// semantics. Grafana 12.3 reads the dashboards' schemaVersion 42 natively.

export const IMAGES = {
  prometheus: 'prom/prometheus:v2.53.4',
  alertmanager: 'prom/alertmanager:v0.28.1',
  grafana: 'grafana/grafana:12.3.1',
  /** Built from the repository's Dockerfile; the simulator runs the same image. */
  sheepdog: 'sheepdog:local',
} as const;

/** Where the relay reads its configuration inside the container. */
export const RELAY_CONFIG_PATH = '/etc/sheepdog/sheepdog.yaml';
