// The fixed mesh generated Istio objects are laid over, so their routes reach real destinations:
// Services with EndpointSlices and Pods in three namespaces (HTTP ports shared between services
// and not, a port that maps to another target port, a TCP port, a cluster IP), one ingress
// gateway pod with a Gateway of its own, and the proxies whose config the test judges.
import type { ProxyClass } from '../../src/translate/types';
import { pod, service, type Raw } from '../model/fixtures';

export const NAMESPACES = ['default', 'prod', 'istio-system'] as const;

interface Workload {
  name: string;
  namespace: string;
  ports: Raw[];
  clusterIP?: string;
  /** version -> pod IP */
  pods: Record<string, string>;
}

const WORKLOADS: Workload[] = [
  { name: 'productpage', namespace: 'default', ports: [{ name: 'http', port: 9080 }], pods: { v1: '127.0.1.1' } },
  { name: 'reviews', namespace: 'default', ports: [{ name: 'http', port: 9080 }], clusterIP: '10.96.0.10', pods: { v1: '127.0.1.2', v2: '127.0.1.3' } },
  { name: 'db', namespace: 'default', ports: [{ name: 'tcp', port: 5432 }], pods: { v1: '127.0.1.4' } },
  { name: 'ratings', namespace: 'prod', ports: [{ name: 'http', port: 9080 }, { name: 'http-alt', port: 8080 }], pods: { v1: '127.0.1.5', v2: '127.0.1.6' } },
  { name: 'details', namespace: 'prod', ports: [{ name: 'http', port: 80, targetPort: 9080 }], pods: { v1: '127.0.1.7' } },
  { name: 'sleep', namespace: 'istio-system', ports: [{ name: 'http', port: 80, targetPort: 8000 }], pods: { v1: '127.0.1.8' } },
];

function endpointSlice(w: Workload): Raw {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${w.name}-abcde`, namespace: w.namespace, labels: { 'kubernetes.io/service-name': w.name } },
    addressType: 'IPv4',
    ports: w.ports.map((p) => ({ name: p.name, port: p.targetPort ?? p.port, protocol: 'TCP' })),
    endpoints: Object.values(w.pods).map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

const GATEWAY_LABELS = { app: 'istio-ingressgateway', istio: 'ingressgateway' };

/** The base mesh as raw Kubernetes objects. */
export function baseMesh(): Raw[] {
  const objects: Raw[] = [];
  for (const w of WORKLOADS) {
    const svc = service(w.name, w.namespace, w.ports.map((p) => ({ targetPort: p.port, ...p })));
    if (w.clusterIP) (svc.spec as Raw).clusterIP = w.clusterIP;
    objects.push(svc, endpointSlice(w));
    for (const [version, ip] of Object.entries(w.pods)) objects.push(pod(`${w.name}-${version}-0`, ip, { app: w.name, version }, w.namespace));
  }
  objects.push(pod('istio-ingressgateway-0', '127.0.4.1', GATEWAY_LABELS, 'istio-system'));
  objects.push({
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'base-gw', namespace: 'istio-system' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
  });
  return objects;
}

/** The Istio hosts of the base mesh's services, and their short names, for generators to aim at. */
export const SERVICE_HOSTS = WORKLOADS.flatMap((w) => [w.name, `${w.name}.${w.namespace}`, `${w.name}.${w.namespace}.svc.cluster.local`]);

function sidecar(namespace: string, app: string, ip: string, interceptionMode: ProxyClass['interceptionMode']): ProxyClass {
  return { role: 'sidecar', namespace, labels: { app, version: 'v1' }, ips: [ip], interceptionMode, localAddress: '127.0.0.1', outboundAddress: interceptionMode === 'NONE' ? ip.replace('127.0.1.', '127.0.3.') : '0.0.0.0' };
}

/**
 * A sidecar in each namespace (with capture in two, without in one, as a laptop runs it) and the
 * ingress gateway: the proxies whose config is judged.
 */
export const PROXIES: { name: string; proxy: ProxyClass }[] = [
  { name: 'sidecar default/productpage', proxy: sidecar('default', 'productpage', '127.0.1.1', 'REDIRECT') },
  { name: 'sidecar prod/ratings', proxy: sidecar('prod', 'ratings', '127.0.1.5', 'NONE') },
  { name: 'sidecar istio-system/sleep', proxy: sidecar('istio-system', 'sleep', '127.0.1.8', 'REDIRECT') },
  {
    name: 'gateway istio-system/istio-ingressgateway',
    proxy: { role: 'router', namespace: 'istio-system', labels: GATEWAY_LABELS, ips: ['127.0.4.1'], interceptionMode: 'NONE', localAddress: '127.0.0.1', outboundAddress: '127.0.4.1' },
  },
];
