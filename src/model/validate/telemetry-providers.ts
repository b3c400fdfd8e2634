// What a Telemetry's providers are in the mesh config, for the proxies it applies to. Istio logs
// and skips a provider it cannot find or use (telemetry.go fetchProvider, telemetryAccessLog,
// tracing.go configureFromProviderConfig, LookupCluster) and its analyzer names an empty one
// (IST0157); Mast says so on the field (MAST3012) and, in translation, skips it the same way.
import { diagnostic } from '../errors';
import type { MeshConfig } from '../mesh-config';
import { childPath } from '../parse/read';
import { refOf, type Diagnostic, type MeshService, type Telemetry } from '../types';

/**
 * LookupCluster's service lookup: the collector Service (or ServiceEntry host) a tracing provider
 * names, `host` or `namespace/host`; undefined when the registry has none there.
 */
export function collectorService(serviceByHost: (host: string) => MeshService | undefined, service: string): MeshService | undefined {
  const slash = service.indexOf('/');
  const [namespace, host] = slash >= 0 ? [service.slice(0, slash), service.slice(slash + 1)] : [undefined, service];
  const found = serviceByHost(host);
  return found && (namespace === undefined || found.meta.namespace === namespace) ? found : undefined;
}

/** Provider fields Mast reads from MeshConfig but does not translate (the Envoy API it encodes against predates them). */
const UNTRANSLATED: Record<string, readonly string[]> = {
  zipkin: ['traceContextOption', 'timeout', 'headers'],
  opentelemetry: ['http', 'grpc', 'resourceDetectors', 'serviceAttributeEnrichment'],
};

/**
 * MAST3012 for each provider a Telemetry names that does nothing there: no extensionProvider of
 * that name; one whose type gives no access log (for accessLogging) or no tracer (for tracing) in
 * Mast; a tracer whose collector is not in the registry; and a tracer setting fields Mast does
 * not translate (it traces without them).
 */
export function telemetryProviderFindings(telemetries: readonly Telemetry[], mesh: MeshConfig, serviceByHost: (host: string) => MeshService | undefined): Diagnostic[] {
  const found: Diagnostic[] = [];
  const lookup = (name: string) => mesh.extensionProviders.find((p) => p.name.toLowerCase() === name.toLowerCase());
  for (const t of telemetries) {
    const at = (field: string, message: string): void => void found.push(diagnostic('MAST3012', message, { object: refOf(t), origin: t.origin, field }));
    (t.spec.accessLogging ?? []).forEach((entry, i) => {
      (entry.providers ?? []).forEach((ref, j) => {
        const field = `${childPath(childPath('spec.accessLogging', i), 'providers')}[${j}].name`;
        const p = lookup(ref.name);
        if (!p) at(field, `no MeshConfig extensionProvider is named ${ref.name}; it is ignored, as Istio ignores it`);
        else if (p.kind !== 'envoyFileAccessLog') at(field, `extension provider ${ref.name} is of type ${p.kind}, which gives no access log in Mast (envoyFileAccessLog does); it is ignored`);
      });
    });
    (t.spec.tracing ?? []).forEach((entry, i) => {
      const ref = entry.providers?.[0];
      if (!ref) return;
      const field = `${childPath(childPath('spec.tracing', i), 'providers')}[0].name`;
      const p = lookup(ref.name);
      if (!p) {
        at(field, `no MeshConfig extensionProvider is named ${ref.name}; the proxies it applies to trace nothing, as in Istio`);
        return;
      }
      if (p.kind !== 'zipkin' && p.kind !== 'opentelemetry') {
        at(field, `extension provider ${ref.name} is of type ${p.kind}, which gives no tracer in Mast (zipkin and opentelemetry do); the proxies it applies to trace nothing`);
        return;
      }
      const config = p.kind === 'zipkin' ? p.zipkin : p.opentelemetry;
      if (!collectorService(serviceByHost, config.service)) at(field, `extension provider ${ref.name} sends to ${config.service}, which no Service or ServiceEntry of the mesh is; the proxies it applies to trace nothing, as in Istio`);
      const ignored = UNTRANSLATED[p.kind]!.filter((f) => (config as unknown as Record<string, unknown>)[f] !== undefined);
      if (ignored.length > 0) at(field, `extension provider ${ref.name} sets ${ignored.join(', ')}, which Mast does not translate yet; it traces without them`);
    });
  }
  return found;
}
