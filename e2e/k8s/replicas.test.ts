// Two Mast replicas under the manifests' ServiceAccount: one holds the Lease, the other serves the
// mesh's Envoys. Killing the leader (SIGKILL: no chance to give the Lease up) hands the Lease to
// the survivor within the lease duration; Envoy traffic never fails, and the survivor takes over
// the leader's duties (it writes the status of an invalid VirtualService made after the kill).
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LEASE_NAME } from '../../src/server/cluster';
import type { StatusCondition } from '../../src/sources/kubernetes/status';
import type { ConfigBackend } from '../harness/backend';
import { BAD_REGEX } from '../harness/invalid-config';
import { Mast } from '../harness/mast';
import { Mesh, randomOctet, task } from '../harness/mesh';
import { waitFor } from '../harness/net';
import { cleanup, tempDir } from '../harness/processes';
import { converge, seesOnly, trafficLoop } from '../harness/scenario';
import { isKubeBackend, kubeBackend } from './harness/backend';
import { MAST_NAMESPACE } from './harness/service-account';

const LEASE_SECONDS = 4;
const RENEW_SECONDS = 1;
const leaseArgs = (identity: string): string[] => ['--identity', identity, '--lease-duration', String(LEASE_SECONDS), '--lease-renew', String(RENEW_SECONDS)];

let mesh: Mesh;
let leader: Mast;

async function holder(backend: ConfigBackend): Promise<string | undefined> {
  assert.ok(isKubeBackend(backend));
  const api = backend.kube.kubeConfig().makeApiClient(CoordinationV1Api);
  try {
    return (await api.readNamespacedLease({ namespace: MAST_NAMESPACE, name: LEASE_NAME })).spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

before(async () => {
  mesh = await Mesh.start({
    octet: randomOctet(),
    // Replica mast-a starts first and takes the Lease; the mesh's own Mast, whose xDS the Envoys
    // use, is replica mast-b.
    backend: async (configDir) => {
      const backend = await kubeBackend(configDir);
      leader = await Mast.start([...backend.mastArgs, ...leaseArgs('mast-a')], tempDir('mast-a'));
      await waitFor(async () => (await holder(backend)) === 'mast-a', 10_000, 'mast-a to hold the Lease', 100);
      return { ...backend, mastArgs: [...backend.mastArgs, ...leaseArgs('mast-b')] };
    },
  });
});

after(async () => {
  await mesh?.stop();
  await cleanup();
});

test('killing the leader hands the Lease to the other replica, which keeps serving and takes over status', async (t) => {
  assert.ok(isKubeBackend(mesh.backend));
  await mesh.apply(task('virtual-service-all-v1.yaml'));
  await converge(t, 'all to v1 (via mast-b, a follower)', () => seesOnly(mesh, ['v1']));
  assert.equal(await holder(mesh.backend), 'mast-a');

  const loop = trafficLoop(mesh);
  const killedAt = Date.now();
  leader.proc.child.kill('SIGKILL');
  await leader.proc.exited;
  const takeoverMs = await waitFor(async () => (await holder(mesh.backend)) === 'mast-b', (LEASE_SECONDS + 3) * 1000, 'mast-b to take the Lease', 50);
  t.diagnostic(`mast-b holds the Lease ${Date.now() - killedAt} ms after mast-a was killed (lease duration ${LEASE_SECONDS} s)`);
  // It may only take an expired Lease: no sooner than the duration after mast-a's last renewal
  // (at most one renew period before the kill), and it notices within half a renew period.
  assert.ok(takeoverMs <= (LEASE_SECONDS + RENEW_SECONDS) * 1000, `took ${Math.round(takeoverMs)} ms`);

  await mesh.apply(task('virtual-service-reviews-v3.yaml'));
  await converge(t, 'a change after the failover', () => seesOnly(mesh, ['v3']));

  await mesh.apply(BAD_REGEX);
  const api = mesh.backend.kube.kubeConfig().makeApiClient(CustomObjectsApi);
  let condition: StatusCondition | undefined;
  await waitFor(async () => {
    const vs = (await api.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'default', plural: 'virtualservices', name: 'ratings-regex' })) as { status?: { conditions?: StatusCondition[] } };
    condition = vs.status?.conditions?.find((c) => c.type === 'Accepted');
    return condition?.status === 'False';
  }, 5000, 'the new leader to write the status of the invalid VirtualService', 50);
  assert.match(condition!.message, /spec\.http\[0\]\.match\[0\]\.uri\.regex: MAST2004/);

  const { requests, failures } = await loop.stop();
  t.diagnostic(`${requests} requests through the failover, ${failures.length} failed`);
  assert.deepEqual(failures, []);
});
