// The unary FetchClusters (and its kin) on the real server: one DiscoveryResponse of what the proxy
// would be sent now, under a stream's authentication (a token for the proxy it names, else
// PERMISSION_DENIED).
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DiscoveryResponse__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryResponse';
import { XdsTokenKey, type TokenIdentity } from '../../src/ca/xds-token';
import { createTelemetry } from '../../src/telemetry/metrics';
import { TYPE_URLS } from '../../src/translate/types';
import { ViewCache } from '../../src/xds/cache';
import { DEFAULT_XDS_LIMITS } from '../../src/xds/limits';
import { XdsMetrics } from '../../src/xds/metrics';
import { serviceDefinitions } from '../../src/envoy-api/protos';
import { XdsServer } from '../../src/xds/server';
import { toStruct } from '../support/ads-client';
import { cluster, fakeSnapshot, quiet } from './fake-world';

const X: TokenIdentity = { namespace: 'shop', serviceAccount: 'cart', pod: 'cart-1', ips: ['127.0.7.1'] };
const NODE = { id: 'sidecar~127.0.7.1~cart-1.shop~shop.svc.cluster.local', metadata: toStruct({ NAMESPACE: 'shop', SERVICE_ACCOUNT: 'cart', INSTANCE_IPS: '127.0.7.1' }) };

describe('Fetch', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mast-fetch-'));
  const telemetry = createTelemetry();
  let key: XdsTokenKey;
  let server: XdsServer;
  let client: grpc.Client;

  before(async () => {
    key = await XdsTokenKey.open(stateDir);
    const views = new ViewCache(() => [{ name: 'all', key: () => '', build: () => ({ clusters: [cluster('a'), cluster('b')] }) }], quiet);
    server = new XdsServer({ views, metrics: new XdsMetrics(telemetry.meter, () => server.counts()), log: quiet, snapshot: () => fakeSnapshot(3), authenticator: key, limits: { ...DEFAULT_XDS_LIMITS, maxNamesPerType: 3 } });
    const port = await server.listen('127.0.0.1:0');
    const Ctor = grpc.makeClientConstructor(serviceDefinitions()['envoy.service.cluster.v3.ClusterDiscoveryService'] as grpc.ServiceDefinition, 'ClusterDiscoveryService');
    client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const fetchClusters = (names: string[], token?: string): Promise<DiscoveryResponse__Output> => {
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      (client as unknown as Record<string, (req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, r: DiscoveryResponse__Output) => void) => void>)['FetchClusters']!.call(
        client, { node: NODE, type_url: TYPE_URLS.cluster, resource_names: names }, metadata, (err, r) => (err ? reject(err) : resolve(r)),
      );
    });
  };

  it('answers the names asked for (all for none) at the current generation, to the proxy its token proves', async () => {
    const token = await key.sign(X, 60_000);
    const all = await fetchClusters([], token);
    assert.equal(all.version_info, '3');
    assert.equal(all.resources.length, 2);
    assert.equal((await fetchClusters(['b'], token)).resources.length, 1);
  });

  it('refuses a fetch of more names than a stream may subscribe to, before looking at its token', async () => {
    await assert.rejects(fetchClusters(['a', 'b', 'c', 'd']), (err: grpc.ServiceError) => err.code === grpc.status.RESOURCE_EXHAUSTED && /--xds-max-names-per-type/.test(err.details));
  });

  it('refuses a fetch without a token, or with one for another proxy', async () => {
    await assert.rejects(fetchClusters([]), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED && /no token/.test(err.details));
    const other = await key.sign({ ...X, namespace: 'bank', serviceAccount: 'vault' }, 60_000);
    await assert.rejects(fetchClusters([], other), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED && /node id is in namespace shop/.test(err.details));
  });
});
