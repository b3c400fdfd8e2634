// Metrics for free (issue 9, item 1): every sidecar and gateway serves Envoy's stats as Prometheus
// text on 15090 (/stats/prometheus), and the bootstrap's stats tags (src/bootstrap/stats.ts) give
// request counts the labels docs/telemetry.md maps to Istio's. Read with a Prometheus text
// parser; productpage's sidecar sends reviews v2 N requests by Istio's request-routing task YAML.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { task, type Mesh, type Workload } from '../harness/mesh';
import { get, waitFor } from '../harness/net';
import { sample, samples, scrape, statsUrl, type PromMetrics } from '../harness/prometheus';
import { converge, describeMesh, viaSidecar } from '../harness/scenario';

const N = 10;
const CLIENT = 'productpage-v1-0';
const SERVER = 'reviews-v2-0';
const JASON = { 'end-user': 'jason' };
const REVIEWS = 'reviews.default.svc.cluster.local';

/** A labelled counter's value, 0 while Envoy has not made it yet (a response code's stat is made by the first such response). */
function valueOf(metrics: PromMetrics, name: string, labels: Record<string, string | undefined>): number {
  const found = samples(metrics, name, labels);
  assert.ok(found.length <= 1, `${found.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

function stats(w: Workload): Promise<PromMetrics> {
  return scrape(statsUrl(w.localAddress));
}

/** The reporting proxy's own identity, as its bootstrap's fixed tags carry it. */
function reporter(w: Workload): Record<string, string> {
  return { reporter_workload: w.pod, reporter_workload_namespace: w.namespace, reporter_app: w.labels['app'] as string, reporter_version: w.labels['version'] as string };
}

/** What productpage's sidecar reports about its requests to reviews v2 (Istio's reporter="source"). */
function clientLabels(mesh: Mesh): Record<string, string> {
  return {
    direction: 'outbound',
    ...reporter(mesh.workload(CLIENT)),
    cluster_name: `outbound|9080|v2|${REVIEWS}`,
    destination_service: REVIEWS,
    destination_service_name: 'reviews',
    destination_service_namespace: 'default',
    destination_subset: 'v2',
    destination_port: '9080',
  };
}

/** What reviews-v2's sidecar reports about the requests it takes (Istio's reporter="destination"), over mutual TLS. */
function serverLabels(mesh: Mesh): Record<string, string> {
  return {
    direction: 'inbound',
    ...reporter(mesh.workload(SERVER)),
    http_conn_manager_prefix: 'inbound_0.0.0.0_9080',
    connection_security_policy: 'mutual_tls',
  };
}

describeMesh('metrics', (mesh) => {
  test('every sidecar and gateway serves Prometheus stats on 15090 at /stats/prometheus', async () => {
    for (const w of mesh().workloads) {
      const metrics = await stats(w);
      assert.equal(sample(metrics, 'envoy_server_live', reporter(w)).value, 1, w.pod);
    }
  });

  test(`${N} requests from productpage to reviews v2 raise a labelled request counter by ${N} on both sidecars`, async (t) => {
    const client = mesh().workload(CLIENT);
    const server = mesh().workload(SERVER);
    const c = clientLabels(mesh());
    const s = serverLabels(mesh());
    await mesh().apply(task('virtual-service-reviews-test-v2.yaml'));
    // Converged when productpage's sidecar holds jason's route to the v2 subset and its cluster,
    // read from its config rather than sent a request: a request would be one more the
    // histograms below must catch up with before the first snapshot (up to 5 s).
    await converge(t, 'virtual-service-reviews-test-v2', async () => JSON.stringify(await client.envoy.dynamic('route')).includes(c.cluster_name!) && (await client.envoy.names('cluster')).includes(c.cluster_name!));
    // Counters move at once, histograms when Envoy merges its workers' stats (every 5 s): a
    // snapshot is taken once each side's duration histogram has counted every request its
    // counter has, so a request is in both or in neither.
    const settled = async (): Promise<[PromMetrics, PromMetrics]> => {
      let both: [PromMetrics, PromMetrics] = [{}, {}];
      await waitFor(async () => {
        both = await Promise.all([stats(client), stats(server)]);
        const [cm, sm] = both;
        return valueOf(cm, 'envoy_cluster_upstream_rq_time', c) === valueOf(cm, 'envoy_cluster_upstream_rq_total', c)
          && valueOf(sm, 'envoy_http_downstream_rq_time', s) === valueOf(sm, 'envoy_http_downstream_rq_total', s);
      }, 12000, 'the request duration histograms to be flushed', 250);
      return both;
    };
    const [clientBefore, serverBefore] = await settled();

    for (let i = 0; i < N; i++) {
      const answer = await viaSidecar(mesh(), CLIENT, 'reviews:9080', { headers: JASON });
      assert.equal(answer.version, 'v2');
    }
    const [clientAfter, serverAfter] = await settled();
    const rose = (before: PromMetrics, after: PromMetrics, name: string, labels: Record<string, string | undefined>): number => valueOf(after, name, labels) - valueOf(before, name, labels);

    // Client side: the outbound cluster's counters, with the source (the reporter) and the destination.
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rq_total', c), N, 'requests (istio_requests_total, reporter=source)');
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rq', { ...c, response_code: '200' }), N, 'by response code');
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rq', { ...c, response_code_class: '2xx' }), N, 'by response code class');
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rq_time', c), N, 'durations (istio_request_duration_milliseconds)');
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rq_body_size', c), N, 'request sizes (istio_request_bytes)');
    assert.equal(rose(clientBefore, clientAfter, 'envoy_cluster_upstream_rs_body_size', c), N, 'response sizes (istio_response_bytes)');

    // Auto-mTLS: the connections to reviews v2 took the cluster's mutual TLS socket, none plaintext.
    assert.ok(valueOf(clientAfter, 'envoy_cluster_total_match_count', { ...c, transport_socket_match: 'tlsMode-istio' }) >= 1, 'connections over mutual TLS');
    assert.equal(valueOf(clientAfter, 'envoy_cluster_total_match_count', { ...c, transport_socket_match: 'tlsMode-disabled' }), 0, 'no plaintext connection');

    // Server side: the inbound mutual TLS chain's connection manager, with the destination (the reporter).
    assert.equal(rose(serverBefore, serverAfter, 'envoy_http_downstream_rq_total', s), N, 'requests (istio_requests_total, reporter=destination)');
    assert.equal(rose(serverBefore, serverAfter, 'envoy_http_downstream_rq', { ...s, response_code_class: '2xx' }), N, 'by response code class, over mutual TLS');
    assert.equal(rose(serverBefore, serverAfter, 'envoy_http_downstream_rq_time', s), N, 'durations');
    const inbound = { direction: 'inbound', cluster_name: 'inbound|9080||', destination_port: '9080', ...reporter(server) };
    assert.equal(rose(serverBefore, serverAfter, 'envoy_cluster_upstream_rq_total', inbound), N, "the inbound cluster's count");
    assert.equal(rose(serverBefore, serverAfter, 'envoy_cluster_upstream_rs_body_size', inbound), N, "the inbound cluster's response sizes");
    assert.equal(rose(serverBefore, serverAfter, 'envoy_http_downstream_rq_total', { ...s, connection_security_policy: undefined }), 0, 'none in plaintext');
  });

  test('the gateway reports what it sends productpage, as a source', async () => {
    const gateway = mesh().gateway;
    const labels = { direction: 'outbound', cluster_name: 'outbound|9080||productpage.default.svc.cluster.local', destination_service_name: 'productpage', ...reporter(gateway) };
    const before = valueOf(await stats(gateway), 'envoy_cluster_upstream_rq_total', labels);
    for (let i = 0; i < 3; i++) assert.equal((await get(mesh().gatewayUrl())).status, 200);
    assert.equal(valueOf(await stats(gateway), 'envoy_cluster_upstream_rq_total', labels) - before, 3);
  });
});
