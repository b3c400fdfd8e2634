// A stand-in for model + translation in protocol tests: resources are set directly, so each test
// controls exactly what changes between pushes.
import { after, before } from 'node:test';
import type { Snapshot } from '../../src/model/types';
import { ViewCache, classKey } from '../../src/xds/cache';
import type { Logger } from '../../src/xds/connection';
import type { XdsLimits } from '../../src/xds/limits';
import { XdsMetrics } from '../../src/xds/metrics';
import type { SdsSecrets } from '../../src/xds/secrets';
import { XdsServer } from '../../src/xds/server';
import { createTelemetry } from '../../src/telemetry/metrics';
import type { EnvoyJson, NamedResource, ProxyClass, ResourceSet } from '../../src/translate/types';

export const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export function cluster(name: string, extra: EnvoyJson = {}): NamedResource {
  return { name, json: { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name }, ...extra } };
}

export function endpoints(name: string, port: number): NamedResource {
  return {
    name,
    json: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

export function route(name: string, clusterName: string): NamedResource {
  return {
    name,
    json: { name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }] },
  };
}

export function listener(name: string, port: number, routeName: string): NamedResource {
  return {
    name,
    json: {
      name,
      address: { socket_address: { address: '127.0.0.1', port_value: port } },
      filter_chains: [{
        filters: [{
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            stat_prefix: name,
            rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
          },
        }],
      }],
    },
  };
}

/**
 * A snapshot for tests whose parts build from state of their own: it holds no objects, and since
 * that state lives outside it, every kind counts as changed and no piece is kept.
 */
export function fakeSnapshot(generation: number): Snapshot {
  const none = () => [];
  return { generation, podByIp: () => undefined, changedSince: () => true, virtualServices: none, destinationRules: none, gateways: none, envoyFilters: none, object: () => undefined } as unknown as Snapshot;
}

export class FakeWorld {
  generation = 1;
  set: ResourceSet = { clusters: [], endpoints: [], listeners: [], routes: [] };
  readonly server: XdsServer;
  readonly views: ViewCache;
  readonly telemetry = createTelemetry();
  /** Set to give proxies different config (by namespace, say); by default all get `set`. */
  perProxy: ((proxy: ProxyClass, set: ResourceSet) => ResourceSet) | undefined;

  /** Set to give proxies a second translation part of their own, so their views are composites. */
  own: ((proxy: ProxyClass) => Partial<ResourceSet>) | undefined;

  /** `secrets`: SDS for proxies that ask for `default` and `ROOTCA` (test/support/sds.ts makes one); `limits`: the xDS limits, defaults if unset. */
  constructor(log: Logger = quiet, secrets?: SdsSecrets, limits?: XdsLimits) {
    // A part holding everything (one per proxy class while perProxy is set, else shared by all),
    // and a part of each proxy's own, empty unless `own` is set.
    this.views = new ViewCache((proxy) => [
      {
        name: 'all',
        key: () => (this.perProxy ? classKey(proxy) : ''),
        build: () => (this.perProxy ? this.perProxy(proxy, this.set) : this.set),
      },
      { name: 'own', key: () => classKey(proxy), build: () => this.own?.(proxy) ?? {} },
    ], log);
    const metrics = new XdsMetrics(this.telemetry.meter, () => this.server.counts());
    this.server = new XdsServer({ views: this.views, metrics, log, snapshot: () => this.snapshot, secrets, limits });
  }

  /** One object per generation, as the ConfigStore hands out: a new object is a new snapshot. */
  private snapshot = this.snapshotOf(this.generation);

  private snapshotOf(generation: number): Snapshot {
    return fakeSnapshot(generation);
  }

  /** Replaces the world and pushes it, as a model change would. */
  update(set: Partial<ResourceSet>): void {
    this.change(set);
    this.server.push(performance.now());
  }

  /**
   * Replaces the world without pushing it: a model change whose debounced push has not fired.
   * Views already built for the last push's snapshot keep what they were built from.
   */
  change(set: Partial<ResourceSet>): void {
    this.set = { ...this.set, ...set };
    this.generation++;
    this.snapshot = this.snapshotOf(this.generation);
  }

  async start(): Promise<string> {
    const port = await this.server.listen('127.0.0.1:0');
    return `127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.telemetry.shutdown();
  }
}

/**
 * A server over three translation parts whose contents the test sets (`world.parts[i]`, of the
 * ResourceSet field `kind`), for tests of how part diffs reach streams; `change()` makes a new
 * generation and pushes it. Starts and stops the server in the calling suite's before/after hooks.
 */
export function partedServer(kind: 'clusters' | 'endpoints'): { parts: NamedResource[][]; change(): void; readonly address: string } {
  let generation = 1;
  // One object per generation, as the ConfigStore hands out: a new object is a new snapshot.
  let snapshot = fakeSnapshot(generation);
  const telemetry = createTelemetry();
  let server: XdsServer;
  const world = {
    parts: [[], [], []] as NamedResource[][],
    address: '',
    change(): void {
      generation++;
      snapshot = fakeSnapshot(generation);
      server.push();
    },
  };
  const views = new ViewCache(() => world.parts.map((_, i) => ({ name: `p${i}`, key: () => '', build: () => (kind === 'clusters' ? { clusters: world.parts[i] } : { endpoints: world.parts[i] }) })), quiet);
  before(async () => {
    const metrics = new XdsMetrics(telemetry.meter, () => server.counts());
    server = new XdsServer({ views, metrics, log: quiet, snapshot: () => snapshot });
    world.address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  after(async () => {
    await server.close();
    await telemetry.shutdown();
  });
  return world;
}
