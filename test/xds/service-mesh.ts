// A mesh of SERVICES Services, each with one EndpointSlice of two endpoints naming Pods, in the
// ConfigStore the real translation reads: the fixture of the xDS tests that follow an endpoint
// change through the per-service pieces (per-service-pieces.test.ts, sotw-changes.test.ts), and the
// server both drive over it.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { ConfigStore, parseDocuments } from '../../src/model';
import { createTelemetry } from '../../src/telemetry/metrics';
import { partsFor } from '../../src/translate';
import { ViewCache } from '../../src/xds/cache';
import { XdsMetrics } from '../../src/xds/metrics';
import { XdsServer } from '../../src/xds/server';
import { quiet } from './fake-world';

export const SERVICES = 30;
export const host = (i: number) => `svc-${i}.default.svc.cluster.local`;
export const cla = (i: number) => `outbound|9080||${host(i)}`;

/** Service `i` with one EndpointSlice of `ips`, whose endpoints name Pods `svc-i-k`, as one file would hold them. */
export function serviceYaml(i: number, ips: string[]): string {
  const endpoints = ips.map((ip, k) => `{addresses: [${ip}], conditions: {ready: true}, targetRef: {kind: Pod, name: svc-${i}-${k}, namespace: default}}`);
  return `apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: default}
spec: {ports: [{port: 9080, name: http}], selector: {app: svc-${i}}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc-${i}-a, namespace: default, labels: {kubernetes.io/service-name: svc-${i}}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints: [${endpoints.join(', ')}]`;
}

export const podYaml = (name: string, ip: string, labels: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {${labels}}}
spec: {containers: [{name: app, image: echo}]}
status: {podIP: ${ip}}`;

export function put(store: ConfigStore, file: string, yaml: string): void {
  const parsed = parseDocuments(yaml, file);
  assert.deepEqual(parsed.diagnostics, [], file);
  store.replaceSource(file, parsed.objects, parsed.diagnostics);
}

export function mesh(): ConfigStore {
  const store = new ConfigStore();
  for (let i = 0; i < SERVICES; i++) put(store, `svc-${i}.yaml`, serviceYaml(i, [`10.7.${i}.1`, `10.7.${i}.2`]));
  put(store, 'pod.yaml', podYaml('svc-3-0', '10.7.3.1', 'app: svc-3, version: v1'));
  return store;
}

/**
 * An xDS server translating `mesh()` with the real parts: `put` into `world.store`, then
 * `world.push()`. Starts and stops the server in the calling suite's before/after hooks.
 */
export function meshServer(): { store: ConfigStore; push(): void; readonly address: string } {
  const store = mesh();
  const views = new ViewCache((p) => partsFor(p.role), quiet);
  const telemetry = createTelemetry();
  let server: XdsServer;
  const world = { store, address: '', push: (): void => server.push(performance.now()) };
  before(async () => {
    const metrics = new XdsMetrics(telemetry.meter, () => server.counts());
    server = new XdsServer({ views, metrics, log: quiet, snapshot: () => store.snapshot() });
    world.address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });
  after(async () => {
    await server.close();
    await telemetry.shutdown();
  });
  return world;
}
