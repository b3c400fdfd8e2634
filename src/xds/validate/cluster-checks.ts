// What Envoy refuses when it builds a Cluster or applies a ClusterLoadAssignment, beyond the proto
// rules. Each check names the Envoy source it mirrors.
import { isIP } from 'node:net';
import { resourceTypes } from '../../envoy-api/protos';
import { fieldPath, indexPath, keyPath } from './format';
import type { Violation } from './violation';
import { list, obj, type Obj } from './json';

/** An enum value as its name, whether JSON wrote the name or the number (default: value 0). */
export function enumName(enumType: string, value: unknown): string {
  const e = resourceTypes().lookupEnum(enumType);
  if (typeof value === 'string') return value;
  return e.valuesById[typeof value === 'number' ? value : 0] ?? String(value);
}

/**
 * source/common/network/resolver_impl.cc (resolveProtoSocketAddress) without a resolver_name:
 * the address must parse as an IP literal (Network::Utility::parseInternetAddressNoThrow).
 */
export function checkIpLiteral(address: unknown, path: string, out: Violation[], hint = ''): void {
  checkSocketAddress(obj(address)?.socket_address, fieldPath(path, 'socket_address'), out, hint);
}

/** The same for a bare SocketAddress. */
export function checkSocketAddress(socketAddress: unknown, path: string, out: Violation[], hint = ''): void {
  const socket = obj(socketAddress);
  if (!socket || (typeof socket.resolver_name === 'string' && socket.resolver_name !== '')) return;
  const ip = typeof socket.address === 'string' ? socket.address : '';
  if (isIP(ip) === 0) out.push({ path: fieldPath(path, 'address'), rule: 'address.ip_literal', message: `malformed IP address: ${ip}${hint}` });
}

const DNS_HINT = ". Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'";

/** Every endpoint address of a ClusterLoadAssignment must be an IP literal (EDS and STATIC clusters). */
export function checkClusterLoadAssignment(cla: Obj, path: string, out: Violation[]): void {
  list(cla.endpoints).forEach((locality, i) => {
    const lp = indexPath(fieldPath(path, 'endpoints'), i);
    list(locality.lb_endpoints).forEach((lb, j) => {
      const ep = obj(lb.endpoint);
      if (!ep) return;
      const p = fieldPath(indexPath(fieldPath(lp, 'lb_endpoints'), j), 'endpoint');
      checkIpLiteral(ep.address, fieldPath(p, 'address'), out, DNS_HINT);
      list(ep.additional_addresses).forEach((a, k) => checkIpLiteral(a.address, fieldPath(indexPath(fieldPath(p, 'additional_addresses'), k), 'address'), out, DNS_HINT));
    });
  });
}

/** Violations of Envoy's load-time checks in a Cluster at `path`. */
export function checkCluster(c: Obj, path: string, out: Violation[]): void {
  const name = typeof c.name === 'string' ? c.name : '';
  const lb = enumName('envoy.config.cluster.v3.Cluster.LbPolicy', c.lb_policy);
  const custom = c.cluster_type !== undefined && c.cluster_type !== null;
  const type = custom ? undefined : enumName('envoy.config.cluster.v3.Cluster.DiscoveryType', c.type);
  const la = obj(c.load_assignment);
  if (type === 'ORIGINAL_DST') {
    // source/extensions/clusters/original_dst/original_dst_cluster.cc, OriginalDstClusterFactory
    if (lb !== 'CLUSTER_PROVIDED') {
      out.push({ path: fieldPath(path, 'lb_policy'), rule: 'cluster.original_dst_lb_policy', message: `cluster: LB policy ${lb} is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'` });
    }
    if (la) out.push({ path: fieldPath(path, 'load_assignment'), rule: 'cluster.original_dst_load_assignment', message: 'ORIGINAL_DST clusters must have no load assignment configured' });
  } else if (lb === 'CLUSTER_PROVIDED' && type !== undefined) {
    // source/common/upstream/cluster_factory_impl.cc, ClusterFactoryImplBase::create
    out.push({ path: fieldPath(path, 'lb_policy'), rule: 'cluster.cluster_provided_lb', message: `cluster provided LB specified but cluster '${name}' did not provide one. Check cluster documentation.` });
  }
  // source/common/upstream/upstream_impl.cc, ClusterInfoImpl::ClusterInfoImpl (type as written,
  // custom cluster_type or not)
  if (obj(c.eds_cluster_config) && enumName('envoy.config.cluster.v3.Cluster.DiscoveryType', c.type) !== 'EDS') {
    out.push({ path: fieldPath(path, 'eds_cluster_config'), rule: 'cluster.eds_config', message: 'eds_cluster_config set in a non-EDS cluster' });
  }
  // source/extensions/clusters/eds/eds.cc, EdsClusterFactory::createClusterImpl
  if (type === 'EDS' && !obj(c.eds_cluster_config)) out.push({ path, rule: 'cluster.eds_config', message: 'cannot create an EDS cluster without an EDS config' });
  if (type === 'LOGICAL_DNS') {
    // source/extensions/clusters/logical_dns/logical_dns_cluster.cc, LogicalDnsCluster::create
    const localities = list(la?.endpoints);
    if (!la) out.push({ path, rule: 'cluster.logical_dns_single_endpoint', message: 'LOGICAL_DNS clusters must have a single host' });
    else if (localities.length !== 1 || list(localities[0]?.lb_endpoints).length !== 1) {
      out.push({ path: fieldPath(path, 'load_assignment'), rule: 'cluster.logical_dns_single_endpoint', message: 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint' });
    }
  }
  // source/extensions/clusters/static/static_cluster.cc: STATIC hosts are resolved as IP literals.
  if ((type === 'STATIC' || type === 'EDS') && la) checkClusterLoadAssignment(la, fieldPath(path, 'load_assignment'), out);
  const bind = obj(c.upstream_bind_config);
  // source/common/upstream/upstream_impl.cc, parseBindConfig
  if (bind) checkSocketAddress(bind.source_address, fieldPath(fieldPath(path, 'upstream_bind_config'), 'source_address'), out);
  protocolOptions(c, path, out);
}

/**
 * source/common/upstream/upstream_impl.cc, createProtocolOptionsConfig: each key names the
 * factory ("Didn't find a registered network or http filter or protocol options implementation
 * for name: ..."). Envoy registers HttpProtocolOptions under its full type name, the key Mast
 * and Istio write; other keys (legacy names) are refused here for lack of a way to know them.
 */
function protocolOptions(c: Obj, path: string, out: Violation[]): void {
  const options = obj(c.typed_extension_protocol_options);
  if (!options) return;
  for (const [key, value] of Object.entries(options)) {
    const typeUrl = typeof obj(value)?.['@type'] === 'string' ? (obj(value)?.['@type'] as string) : '';
    if (typeUrl.slice(typeUrl.lastIndexOf('/') + 1) !== key) {
      out.push({ path: keyPath(fieldPath(path, 'typed_extension_protocol_options'), key), rule: 'cluster.protocol_options_name', message: `Didn't find a registered network or http filter or protocol options implementation for name: '${key}'` });
    }
  }
}
