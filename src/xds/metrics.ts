// Mast's own xDS metrics, through OpenTelemetry and read by Prometheus from the admin server.
// Names follow istiod's where the meaning matches, so existing Istio dashboards keep working
// (Prometheus' OpenTelemetry naming appends `_total` to counters).
import type { Counter, Histogram, ObservableGauge } from '@opentelemetry/api';
import type { Meter } from '@opentelemetry/api';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** istiod's own buckets for pilot_xds_config_size_bytes (pilot/pkg/xds/monitoring.go). */
const SIZE_BUCKETS = [1, 10000, 1000000, 4000000, 10000000, 40000000];
/** Distinct NACK reasons pilot_total_xds_rejects keeps as labels; later ones count as `other`. */
export const MAX_REASON_LABELS = 100;

export class XdsMetrics {
  private readonly pushes: Counter;
  private readonly pushTime: Histogram;
  private readonly convergence: Histogram;
  private readonly configSize: Histogram;
  private readonly rejects: Counter;
  private readonly reasons = new Set<string>();
  private readonly refusedStreams: Counter;
  readonly connected: ObservableGauge;

  constructor(private readonly meter: Meter, connectedCount: () => { sotw: number; delta: number }) {
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
    this.configSize = meter.createHistogram('pilot_xds_config_size_bytes', {
      description: 'Size of each xDS response written to a proxy, by type',
      unit: 'By',
      advice: { explicitBucketBoundaries: SIZE_BUCKETS },
    });
    this.rejects = meter.createCounter('pilot_total_xds_rejects', { description: "xDS responses proxies rejected (NACK), by type and the first line of Envoy's reason" });
    // Named as istiod names its xDS counters (pilot/pkg/xds/monitoring.go); istiod has no such limits.
    this.refusedStreams = meter.createCounter('pilot_xds_refused_streams', { description: 'xDS streams ended with RESOURCE_EXHAUSTED, by the limit they exceeded (mast serve --xds-max-*)' });
    this.connected = meter.createObservableGauge('pilot_xds', { description: 'Connected xDS streams, by transport' });
    this.connected.addCallback((result) => {
      const c = connectedCount();
      result.observe(c.sotw, { transport: 'sotw' });
      result.observe(c.delta, { transport: 'delta' });
    });
  }

  /** One response of `type` (`bytes` long, built and written in `seconds`) went out. */
  pushed(type: string, seconds: number, bytes: number, changedAt?: number): void {
    this.pushes.add(1, { type });
    this.pushTime.record(seconds, { type });
    this.configSize.record(bytes, { type });
    if (changedAt !== undefined) this.convergence.record((performance.now() - changedAt) / 1000);
  }

  /**
   * The global budget of response bytes in flight (inflight.ts): the bytes written and not yet
   * taken by HTTP/2, and the streams waiting for their turn. istiod has no such gauge (its
   * PILOT_PUSH_THROTTLE counts pushes), hence Mast's own names.
   */
  observeInflight(budget: { readonly bytes: number; readonly waiting: number }): void {
    this.meter.createObservableGauge('mast_xds_inflight_bytes', { description: 'xDS response bytes written to streams and not yet sent (bounded by --xds-inflight-bytes)', unit: 'By' })
      .addCallback((result) => result.observe(budget.bytes));
    this.meter.createObservableGauge('mast_xds_inflight_waiting_streams', { description: 'xDS streams waiting for the in-flight budget to write their next response' })
      .addCallback((result) => result.observe(budget.waiting));
  }

  /**
   * A NACK of `type` for `reason` (the first line of Envoy's, nack.ts). Distinct reasons after
   * the first MAX_REASON_LABELS are counted as `other`: each reason is a series of its own, and
   * reasons name resources, so /metrics would otherwise grow with the config and the history.
   */
  rejected(type: string, reason: string): void {
    if (!this.reasons.has(reason) && this.reasons.size < MAX_REASON_LABELS) this.reasons.add(reason);
    this.rejects.add(1, { type, reason: this.reasons.has(reason) ? reason : 'other' });
  }

  /** A stream was ended for exceeding `limit` (src/xds/limits.ts). */
  refusedStream(limit: string): void {
    this.refusedStreams.add(1, { limit });
  }
}
