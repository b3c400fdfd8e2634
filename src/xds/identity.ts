// Who a connecting proxy is: its node id and metadata, checked against the model. Where the model
// knows the workload (a Pod with the proxy's IP), the Pod's namespace, labels and service account
// win over what the proxy claims about itself.
import type { Pod, Snapshot } from '../model/types';
import { proxyFromNode } from '../proxy/node';
import type { Proxy } from '../translate/types';
import type { Node__Output } from '../../proto/gen/envoy/config/core/v3/Node';
import type { Struct__Output } from '../../proto/gen/google/protobuf/Struct';
import type { Value__Output } from '../../proto/gen/google/protobuf/Value';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function fromValue(v: Value__Output): Json {
  switch (v.kind) {
    case 'stringValue': return v.stringValue ?? '';
    case 'numberValue': return v.numberValue ?? 0;
    case 'boolValue': return v.boolValue ?? false;
    case 'structValue': return v.structValue ? fromStruct(v.structValue) : {};
    case 'listValue': return (v.listValue?.values ?? []).map(fromValue);
    default: return null;
  }
}

export function fromStruct(s: Struct__Output): { [k: string]: Json } {
  return Object.fromEntries(Object.entries(s.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

export function proxyOf(node: Node__Output): Proxy | { error: string } {
  return proxyFromNode(node.id, node.metadata ? fromStruct(node.metadata) : {}, node.locality);
}

export interface ResolvedIdentity {
  proxy: Proxy;
  pod: Pod | undefined;
  /** The proxy as it claimed to be, which `proxy` was resolved from. */
  claimed: Proxy;
}

/**
 * The proxy as the model sees it now: a sidecar or gateway whose Pod is known (by the IPs in its
 * node id and metadata) takes the Pod's namespace, labels and service account; `pod` is undefined
 * when no Pod has those IPs. Given the `last` resolution of the same claim, it is returned as it
 * is while the Pod is the same object (snapshots share unchanged objects): a push then makes no
 * new proxy per stream, and what is keyed by the proxy object (the view cache's class key) holds.
 */
export function resolveIdentity(proxy: Proxy, snapshot: Snapshot, last?: ResolvedIdentity): ResolvedIdentity {
  let pod: Pod | undefined;
  for (const ip of proxy.ips) if ((pod = snapshot.podByIp(ip))) break;
  if (last && last.claimed === proxy && last.pod === pod) return last;
  if (!pod) return { proxy, pod, claimed: proxy };
  return { proxy: { ...proxy, namespace: pod.meta.namespace, labels: pod.meta.labels, serviceAccount: pod.serviceAccount }, pod, claimed: proxy };
}
