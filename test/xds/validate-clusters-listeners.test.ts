// Unit tests of src/xds/validate's load checks of Clusters, ClusterLoadAssignments and Listeners.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeTable, semantic, vh } from '../support/validate-fixtures';

describe('semantic checks of Clusters and ClusterLoadAssignments', () => {
  const CL = 'envoy.config.cluster.v3.Cluster';
  const la = (address: string) => ({ cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] });
  const rules = (c: Record<string, unknown>) => semantic(CL, { name: 'c', connect_timeout: '1s', ...c }).map((v) => v.rule);

  it('pairs ORIGINAL_DST with CLUSTER_PROVIDED and nothing else with it', () => {
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', type: 'ORIGINAL_DST' }).map((v) => v.message), ["cluster: LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'"]);
    assert.deepEqual(rules({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' }), []);
    assert.deepEqual(rules({ type: 4, lb_policy: 6, load_assignment: la('1.2.3.4') }), ['cluster.original_dst_load_assignment']);
    assert.deepEqual(rules({ type: 'STATIC', lb_policy: 'CLUSTER_PROVIDED' }), ['cluster.cluster_provided_lb']);
  });

  it('needs an EDS config, one LOGICAL_DNS endpoint, IP literals for STATIC, and known protocol options', () => {
    assert.deepEqual(rules({ type: 'EDS' }), ['cluster.eds_config']);
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', type: 'STRICT_DNS', eds_cluster_config: { service_name: 'x' } }).map((v) => v.message), ['eds_cluster_config set in a non-EDS cluster']);
    assert.deepEqual(rules({ type: 'LOGICAL_DNS' }), ['cluster.logical_dns_single_endpoint']);
    assert.deepEqual(rules({ type: 'LOGICAL_DNS', load_assignment: { cluster_name: 'c', endpoints: [] } }), ['cluster.logical_dns_single_endpoint']);
    assert.deepEqual(semantic(CL, { name: 'c', connect_timeout: '1s', load_assignment: la('foo.com') }).map((v) => [v.path, v.message]), [['load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address', "malformed IP address: foo.com. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'"]]);
    assert.deepEqual(rules({ type: 'STRICT_DNS', load_assignment: la('foo.com') }), []);
    assert.deepEqual(rules({ load_assignment: la('::1') }), []);
    assert.deepEqual(rules({ upstream_bind_config: { source_address: { address: 'localhost', port_value: 0 } } }), ['address.ip_literal']);
    const http = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } };
    assert.deepEqual(rules({ typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http } }), []);
    assert.deepEqual(rules({ typed_extension_protocol_options: { foo: http } }), ['cluster.protocol_options_name']);
  });

  it('needs IP literals in a ClusterLoadAssignment', () => {
    assert.deepEqual(semantic('envoy.config.endpoint.v3.ClusterLoadAssignment', la('a.b')).map((v) => v.path), ['endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address']);
  });
});

describe('semantic checks of Listeners (filter_chain_manager_impl.cc, validateTerminalFilters)', () => {
  const LS = 'envoy.config.listener.v3.Listener';
  const tcp = { name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c' } };
  const router = { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
  const fault = { name: 'fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };
  const hcm = (httpFilters: unknown[], routeConfig?: unknown) => ({ name: 'hcm', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'h', http_filters: httpFilters, ...(routeConfig ? { route_config: routeConfig } : { rds: { route_config_name: 'r', config_source: { ads: {} } } }) } });
  const listener = (chains: unknown[], address = '0.0.0.0') => ({ name: 'l', address: { socket_address: { address, port_value: 80 } }, filter_chains: chains });
  const chain = (filter_chain_match: unknown, filters: unknown[] = [tcp], name = '') => ({ name, filter_chain_match, filters });
  const messages = (l: unknown) => semantic(LS, l).map((v) => [v.path, v.message]);

  it('refuses equal and overlapping filter chain matches, as the match table expands them', () => {
    assert.deepEqual(messages(listener([chain({ destination_port: 80 }, [tcp], 'a'), chain({ destination_port: 80 }, [tcp], 'b')])), [['filter_chains[1].filter_chain_match', "error adding listener '0.0.0.0:80': filter chain 'b' has the same matching rules defined as 'a'"]]);
    const overlap = "error adding listener '0.0.0.0:80': multiple filter chains with overlapping matching rules are defined";
    assert.deepEqual(messages(listener([chain({ server_names: ['a', 'b'] }), chain({ server_names: ['B'] })])), [['filter_chains[1].filter_chain_match', overlap]]);
    assert.deepEqual(messages(listener([chain({ server_names: ['*.a'] }), chain({ server_names: ['.a'] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ application_protocols: ['h2', 'http/1.1'] }), chain({ application_protocols: ['http/1.1', 'h2'] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '10.1.2.3', prefix_len: 8 }] }), chain({ prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] })])).map(([, m]) => m), [overlap]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '::ffff:1.2.3.4', prefix_len: 128 }] }), chain({ prefix_ranges: [{ address_prefix: '::1', prefix_len: 128 }] })])), []);
    assert.deepEqual(messages(listener([chain({ destination_port: 80 }), chain({ destination_port: 81 }), chain({})])), []);
  });

  it('refuses partial wildcards, bad CIDRs and hostnames as listener addresses', () => {
    assert.deepEqual(messages(listener([chain({ server_names: ['a.*'] })])), [['filter_chains[0].filter_chain_match.server_names[0]', "error adding listener '0.0.0.0:80': partial wildcards are not supported in \"server_names\""]]);
    assert.deepEqual(messages(listener([chain({ prefix_ranges: [{ address_prefix: '10.1.2', prefix_len: 8 }] })])), [['filter_chains[0].filter_chain_match.prefix_ranges[0].address_prefix', 'malformed IP address: 10.1.2']]);
    assert.deepEqual(messages(listener([chain({})], 'localhost')), [['address.socket_address.address', 'malformed IP address: localhost']]);
  });

  it('wants terminal filters last, network and http, and checks an inline route table', () => {
    assert.deepEqual(messages(listener([chain({}, [tcp, tcp])])), [['filter_chains[0].filters[0]', 'Error: terminal filter named tcp of type envoy.filters.network.tcp_proxy must be the last filter in a network filter chain.']]);
    assert.deepEqual(messages(listener([chain({}, [hcm([router, fault])])])), [
      ['filter_chains[0].filters[0].typed_config.http_filters[0]', 'Error: terminal filter named router of type envoy.filters.http.router must be the last filter in a http filter chain.'],
      ['filter_chains[0].filters[0].typed_config.http_filters[1]', 'Error: non-terminal filter named fault of type envoy.filters.http.fault is the last filter in a http filter chain.'],
    ]);
    assert.deepEqual(messages(listener([chain({}, [hcm([fault, router])])])), []);
    const inline = semantic(LS, listener([chain({}, [hcm([router], routeTable([vh('a', ['x']), vh('b', ['X'])]))])]));
    assert.deepEqual(inline.map((v) => [v.path, v.rule]), [['filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[0]', 'route.domain_unique']]);
  });
});
