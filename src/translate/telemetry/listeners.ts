// Telemetry on a part's listeners: access logs on every HTTP connection manager and tcp_proxy
// (and, for connections no filter chain takes, on the listener itself), as Istio's listener
// builders call setHTTPAccessLog, setTCPAccessLog and setListenerAccessLog for each
// (pilot/pkg/networking/core/accesslog.go), and tracing on every HTTP connection manager
// (tracing.go configureTracing). Done on the built listeners, so each listener builder stays
// unaware of telemetry and one walk covers every HCM and tcp_proxy a part makes.
import type { Snapshot } from '../../model/types';
import type { TranslationPart } from '../parts';
import type { EnvoyJson, NamedResource, ProxyClass } from '../types';
import { accessLogPlan, type AccessLogPlan, type WorkloadMode } from './access-log';
import { telemetryMesh } from './mesh';
import { tracingPlan, type TracingPlan } from './tracing';
import { applicableSidecar, sidecarScope } from '../sidecar-scope';
import { scopedSnapshot } from '../sidecar-scope-snapshot';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

function isRecord(v: unknown): v is EnvoyJson {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What one side of a proxy logs and traces. */
export interface TelemetryPlan {
  logs?: AccessLogPlan;
  tracing?: TracingPlan;
}

/** `filter` with the plan's `access_log` appended (an HCM or tcp_proxy) and `tracing` set (an HCM). */
function withFilterTelemetry(filter: unknown, plan: TelemetryPlan): unknown {
  if (!isRecord(filter) || (filter.name !== HCM && filter.name !== TCP_PROXY) || !isRecord(filter.typed_config)) return filter;
  const config = filter.typed_config;
  const existing = Array.isArray(config.access_log) ? config.access_log : [];
  const logs = plan.logs ? { access_log: [...existing, ...plan.logs.filter] } : {};
  const tracing = plan.tracing && filter.name === HCM ? { tracing: plan.tracing.tracing } : {};
  return { ...filter, typed_config: { ...config, ...logs, ...tracing } };
}

function withChainTelemetry(chain: unknown, plan: TelemetryPlan): unknown {
  if (!isRecord(chain) || !Array.isArray(chain.filters)) return chain;
  return { ...chain, filters: chain.filters.map((f) => withFilterTelemetry(f, plan)) };
}

/**
 * `listener` with the plan on each of its HCMs and tcp_proxies (in its filter chains and default
 * chain) and its listener log on itself, its sources joined by the Telemetries the plan came from.
 */
export function withListenerTelemetry(listener: NamedResource, plan: TelemetryPlan): NamedResource {
  const json = listener.json;
  const chains = Array.isArray(json.filter_chains) ? { filter_chains: json.filter_chains.map((c) => withChainTelemetry(c, plan)) } : {};
  const fallback = json.default_filter_chain !== undefined ? { default_filter_chain: withChainTelemetry(json.default_filter_chain, plan) } : {};
  const own = Array.isArray(json.access_log) ? json.access_log : [];
  const logs = plan.logs ? { access_log: [...own, ...plan.logs.listener] } : {};
  const planSources = [...(plan.logs?.sources ?? []), ...(plan.tracing?.sources ?? [])];
  const sources = planSources.length > 0 ? { sources: [...new Set([...(listener.sources ?? []), ...planSources])].sort() } : {};
  return { ...listener, json: { ...json, ...chains, ...fallback, ...logs }, ...sources };
}

/** The name a proxy's spans carry: Envoy's node cluster as `mast bootstrap` sets it by default (`APP.NAMESPACE`). */
function serviceCluster(proxy: ProxyClass): string {
  return `${proxy.labels['app'] ?? 'unknown'}.${proxy.namespace}`;
}

/** What the proxy's listeners on `mode`'s side log and trace, or undefined for neither. */
function plan(snapshot: Snapshot, proxy: ProxyClass, mode: WorkloadMode): TelemetryPlan | undefined {
  const mesh = telemetryMesh(snapshot);
  const workload = { namespace: proxy.namespace, labels: proxy.labels };
  const logs = accessLogPlan(snapshot, mesh, workload, mode);
  const traced = { ...workload, serviceCluster: serviceCluster(proxy) };
  let tracing = tracingPlan(snapshot, mesh, traced, mode);
  // The collector must be a cluster this proxy is sent, so under a Sidecar it is looked up again in
  // the Sidecar's view. Only then: a scope costs a pass over every service, and plan() runs for
  // every proxy's part key on every rebuild.
  const sidecar = tracing ? applicableSidecar(snapshot, proxy) : undefined;
  if (sidecar) tracing = tracingPlan(scopedSnapshot(snapshot, sidecarScope(snapshot, sidecar, proxy.namespace), 'clusters'), mesh, traced, mode);
  return logs || tracing ? { ...(logs ? { logs } : {}), ...(tracing ? { tracing } : {}) } : undefined;
}

/**
 * `part` with telemetry on the listeners it builds, which serve the proxy's `mode` side (a
 * sidecar's outbound listeners CLIENT, its inbound SERVER, a gateway's CLIENT). Keyed also by
 * what is logged and traced (the plan itself), so proxies that do alike keep sharing one piece,
 * and a part with neither keeps its own key and pieces.
 */
export function withTelemetry(part: TranslationPart, mode: WorkloadMode): TranslationPart {
  return {
    name: part.name,
    key: (proxy, snapshot) => {
      const own = part.key(proxy, snapshot);
      const p = plan(snapshot, proxy, mode);
      return p ? JSON.stringify([own, p]) : own;
    },
    build: (snapshot, proxy) => {
      const built = part.build(snapshot, proxy);
      const p = plan(snapshot, proxy, mode);
      if (!p || !built.listeners) return built;
      return { ...built, listeners: built.listeners.map((l) => withListenerTelemetry(l, p)) };
    },
  };
}
