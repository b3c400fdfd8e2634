// Reading a proxy's Prometheus stats as Prometheus would: `/stats/prometheus` on the stats
// listener (src/bootstrap/stats.ts), parsed by a Prometheus text-format parser (prom2javascript),
// not a regex. parse-prometheus-text-format, the more downloaded one, merges the samples of a
// histogram with labels into one unlabelled sample (its open issue #13), and every histogram
// Envoy reports through Mast's tags has labels.
import { getMetricsFromIterator, type PromMetrics } from 'prom2javascript';
import { PROMETHEUS_STATS_PATH, PROMETHEUS_STATS_PORT } from '../../src/bootstrap/stats';
import { get } from './net';

export type { PromMetrics };

export interface Sample {
  labels: Record<string, string>;
  /** A counter's or gauge's value; a histogram's or summary's count. */
  value: number;
}

/**
 * The stats URL of a proxy the mesh harness started: without capture, the bootstrap binds the
 * stats listener on the pod's local address (buildBootstrap's statsAddress default).
 */
export function statsUrl(localAddress: string, port = PROMETHEUS_STATS_PORT): string {
  return `http://${localAddress}:${port}${PROMETHEUS_STATS_PATH}`;
}

/** Every metric family `url` serves, by name; fails unless it answers 200. */
export async function scrape(url: string): Promise<PromMetrics> {
  const r = await get(url, { timeoutMs: 5000 });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text.slice(0, 200)}`);
  return getMetricsFromIterator(r.text.split('\n')[Symbol.iterator]());
}

/**
 * The samples of family `name` whose labels include all of `labels` (values compared exactly;
 * a label given as undefined must be absent).
 */
export function samples(metrics: PromMetrics, name: string, labels: Record<string, string | undefined> = {}): Sample[] {
  const data = (metrics[name]?.data ?? []) as { labels: Record<string, string>; value?: number; count?: number }[];
  return data
    .map((d) => ({ labels: d.labels, value: Number(d.value ?? d.count) }))
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with `labels`; fails when there is none or more than one. */
export function sample(metrics: PromMetrics, name: string, labels: Record<string, string | undefined>): Sample {
  const found = samples(metrics, name, labels);
  if (found.length !== 1) {
    const all = samples(metrics, name).map((s) => JSON.stringify(s.labels)).join('\n  ');
    throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}; the family has:\n  ${all || '(no family of that name)'}`);
  }
  return found[0] as Sample;
}
