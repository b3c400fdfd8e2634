// One OpenTelemetry meter provider for the process, read by Prometheus through the admin
// server's /metrics (the exporter's own HTTP server is not started).
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export interface Telemetry {
  meter: Meter;
  exporter: PrometheusExporter;
  shutdown(): Promise<void>;
}

export function createTelemetry(): Telemetry {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const provider = new MeterProvider({ readers: [exporter] });
  return { meter: provider.getMeter('mast'), exporter, shutdown: () => provider.shutdown() };
}
