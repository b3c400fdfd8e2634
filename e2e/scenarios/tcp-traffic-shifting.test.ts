// Istio's "TCP Traffic Shifting" task through the ingress gateway, with the task's own YAML from the
// pinned module (samples/tcp-echo): the tcp-echo Service as tcp-echo-services.yaml declares it, one
// Pod per Deployment there (its labels and its container's args), tcp-echo-all-v1.yaml (Gateway on
// 31400, DestinationRule v1/v2, VirtualService all to v1) and tcp-echo-20-v2.yaml (80/20), then
// all-v1 edited to v2 for 0/100. Each connection to the gateway sends a line and reads tcp-echo's
// answer, `one ...` from v1 and `two ...` from v2; shares are checked as the HTTP task's are
// (assertSplit: 4.5 binomial standard deviations). tcp-echo is played by examples/app/tcp-echo.ts
// (Istio's Go binary listens on every address, which one host of many pods cannot give it).
// A client's sidecar splits the same way on its outbound port 9000 (VirtualService `tcp` on `mesh`).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { startTcpEcho, stopTcpEcho } from '../../examples/app/tcp-echo';
import { istioTasksDir, OWN_APP_ANNOTATION, type Mesh } from '../harness/mesh';
import { sampleSplit } from '../harness/net';
import { onCleanup, tempDir } from '../harness/processes';
import { assertSplit, converge, describeMesh } from '../harness/scenario';

const SAMPLES = 200;
const GATEWAY_PORT = 31400;
const SAMPLE_DIR = path.join(istioTasksDir(), '..', '..', 'tcp-echo');
const sample = (file: string): string => readFileSync(path.join(SAMPLE_DIR, file), 'utf8');

interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string; args: string[]; ports: { containerPort: number }[] }[] } } };
}

const serviceText = sample('tcp-echo-services.yaml').split(/^---$/m).find((d) => /^kind: Service$/m.test(d));
assert.ok(serviceText, 'no Service in tcp-echo-services.yaml');
const deployments = parseAllDocuments(sample('tcp-echo-services.yaml'))
  .map((d) => d.toJS() as Deployment)
  .filter((d) => d?.kind === 'Deployment');

/** A Pod per Deployment of the task (127.0.1.N), its sidecar labelled for mTLS; a client; the ingress gateway. */
function meshSource(): string {
  const pod = (name: string, ip: string, labels: Record<string, string>, container: unknown, namespace = 'default', annotations: Record<string, string> = {}): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels, annotations },
      spec: { containers: [container] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
    });
  const pods = deployments.map((d, i) => pod(`${d.metadata.name}-0`, `127.0.1.${i + 1}`, { ...d.spec.template.metadata.labels, 'security.istio.io/tlsMode': 'istio' }, d.spec.template.spec.containers[0], 'default', { [OWN_APP_ANNOTATION]: 'none' }));
  pods.push(pod('sleep-0', '127.0.1.9', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' }, { name: 'sleep', image: 'curl', ports: [{ containerPort: 9080 }] }));
  pods.push(pod('istio-ingressgateway-0', '127.0.4.1', { app: 'istio-ingressgateway', istio: 'ingressgateway' }, { name: 'istio-proxy', image: 'envoy', ports: [{ containerPort: GATEWAY_PORT }] }, 'istio-system'));
  // What the EndpointSlice controller would make of the Service and the Pods (Kubernetes mode makes its own).
  const slice = JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'tcp-echo-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'tcp-echo' } },
    addressType: 'IPv4',
    ports: [{ name: 'tcp', port: 9000, protocol: 'TCP' }, { name: 'tcp-other', port: 9001, protocol: 'TCP' }],
    endpoints: deployments.map((d, i) => ({ addresses: [`127.0.1.${i + 1}`], conditions: { ready: true }, targetRef: { kind: 'Pod', name: `${d.metadata.name}-0`, namespace: 'default' } })),
  });
  const dir = tempDir('tcp-echo-mesh');
  writeFileSync(path.join(dir, 'tcp-echo-endpoints.yaml'), slice);
  writeFileSync(path.join(dir, 'tcp-echo-service.yaml'), serviceText!);
  writeFileSync(path.join(dir, 'pods.yaml'), pods.join('\n---\n'));
  return dir;
}

/** One connection to `host:port`: a line out, tcp-echo's answer's prefix (its version's name) back. */
function echoPrefix(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(3000, () => socket.destroy(new Error(`no answer from ${host}:${port} in 3 s`)));
    socket.on('connect', () => socket.write('hello\n'));
    socket.on('data', (c: string) => {
      answer += c;
      if (answer.endsWith('\n')) socket.end();
    });
    socket.on('close', () => (answer.endsWith(' hello\n') ? resolve(answer.split(' ')[0]!) : reject(new Error(`${host}:${port} answered ${JSON.stringify(answer)}`))));
    socket.on('error', reject);
  });
}

const throughGateway = (mesh: Mesh) => (): Promise<string> => echoPrefix(mesh.gateway.ip, GATEWAY_PORT);
const throughSidecar = (mesh: Mesh) => (): Promise<string> => echoPrefix(mesh.workload('sleep-0').outboundAddress, 9000);

/** Whether `batch` connections all saw exactly `expected` versions (failed connections count as not converged). */
async function seesOnly(send: () => Promise<string>, expected: string[], batch = 10): Promise<boolean> {
  const seen = await sampleSplit(batch, () => send().catch(() => 'failed'));
  return Object.keys(seen).sort().join() === [...expected].sort().join();
}

const ALL_V1 = sample('tcp-echo-all-v1.yaml');
const ALL_V2 = ALL_V1.replace('subset: v1', 'subset: v2');
const SIDECAR_80_20 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo-mesh}
spec:
  hosts: [tcp-echo]
  tcp:
  - match: [{port: 9000}]
    route:
    - {destination: {host: tcp-echo, subset: v1}, weight: 80}
    - {destination: {host: tcp-echo, subset: v2}, weight: 20}
`;

describeMesh(
  'TCP traffic shifting',
  (mesh) => {
    before(async () => {
      assert.ok(deployments.length >= 2, 'tcp-echo-services.yaml has no v1 and v2 Deployments');
      for (const d of deployments) {
        const [ports, prefix] = d.spec.template.spec.containers[0]!.args as [string, string];
        const servers = await startTcpEcho({ address: mesh().workload(`${d.metadata.name}-0`).localAddress, ports: ports.split(',').map(Number), prefix });
        onCleanup(() => stopTcpEcho(servers));
      }
    });

    test("weights 100/0 -> 80/20 -> 0/100 (Istio's task YAML) change the split at the gateway", async (t) => {
      await mesh().apply(ALL_V1);
      await converge(t, '100/0 (tcp-echo-all-v1)', () => seesOnly(throughGateway(mesh()), ['one']));
      assertSplit(await sampleSplit(SAMPLES, throughGateway(mesh())), { one: 1 });

      await mesh().apply(sample('tcp-echo-20-v2.yaml'));
      await converge(t, '80/20 (tcp-echo-20-v2)', () => seesOnly(throughGateway(mesh()), ['one', 'two'], 30));
      const split = await sampleSplit(SAMPLES, throughGateway(mesh()));
      t.diagnostic(`80/20: ${JSON.stringify(split)}`);
      assertSplit(split, { one: 0.8, two: 0.2 });

      await mesh().apply(ALL_V2);
      // From 80/20, thirty v2 answers in a row by luck is about one in 10^21.
      await converge(t, '0/100 (all-v1 edited to v2)', () => seesOnly(throughGateway(mesh()), ['two'], 30));
      assertSplit(await sampleSplit(SAMPLES, throughGateway(mesh())), { two: 1 });
    });

    test("a client's sidecar splits its outbound TCP port by a mesh VirtualService", async (t) => {
      // Without a VirtualService the port's cluster spreads over both versions: all to v2 first,
      // so that seeing v1 again means the 80/20 rule arrived.
      await mesh().apply(SIDECAR_80_20.replace('weight: 80', 'weight: 0').replace('weight: 20', 'weight: 100'));
      await converge(t, '0/100 on the sidecar', () => seesOnly(throughSidecar(mesh()), ['two'], 30));
      await mesh().apply(SIDECAR_80_20);
      await converge(t, '80/20 on the sidecar', () => seesOnly(throughSidecar(mesh()), ['one', 'two'], 30));
      const split = await sampleSplit(SAMPLES, throughSidecar(mesh()));
      t.diagnostic(`sidecar 80/20: ${JSON.stringify(split)}`);
      assertSplit(split, { one: 0.8, two: 0.2 });
    });
  },
  { source: meshSource() },
);
