// Mast's own xDS metrics, through OpenTelemetry and read by Prometheus from the admin server.
// Names follow istiod's where the meaning matches, so existing Istio dashboards keep working
// (Prometheus' OpenTelemetry naming appends `_total` to counters).
import type { Counter, Histogram, ObservableGauge } from '@opentelemetry/api';
import type { Meter } from '@opentelemetry/api';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class XdsMetrics {
  private readonly pushes: Counter;
  private readonly pushTime: Histogram;
  private readonly convergence: Histogram;
  private readonly rejects: Counter;
  readonly connected: ObservableGauge;

  constructor(meter: Meter, connectedCount: () => { sotw: number; delta: number }) {
    this.pushes = meter.createCounter('pilot_xds_pushes', { description: 'xDS responses sent, by type' });
    this.pushTime = meter.createHistogram('pilot_xds_push_time', {
      description: 'Time to build and write one xDS response, by type',
      unit: 's',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    });
    this.convergence = meter.createHistogram('pilot_proxy_convergence_time', {
      description: 'Delay between a config change and the response carrying it being written to a proxy',
      unit: 's',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    });
    this.rejects = meter.createCounter('pilot_total_xds_rejects', { description: "xDS responses proxies rejected (NACK), by type and the first line of Envoy's reason" });
    this.connected = meter.createObservableGauge('pilot_xds', { description: 'Connected xDS streams, by transport' });
    this.connected.addCallback((result) => {
      const c = connectedCount();
      result.observe(c.sotw, { transport: 'sotw' });
      result.observe(c.delta, { transport: 'delta' });
    });
  }

  pushed(type: string, seconds: number, changedAt?: number): void {
    this.pushes.add(1, { type });
    this.pushTime.record(seconds, { type });
    if (changedAt !== undefined) this.convergence.record((performance.now() - changedAt) / 1000);
  }

  rejected(type: string, reason: string): void {
    this.rejects.add(1, { type, reason });
  }
}
