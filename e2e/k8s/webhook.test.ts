// The admission webhook against a real kube-apiserver: Mast's CA signs the webhook's certificate,
// the CA reaches the apiserver through injectCaBundle (as in a cluster), and a create of an
// invalid object of any Istio kind Mast reads (the rules of manifests/webhook.yaml) is refused
// with the field-level message.
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1RuleWithOperations } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { parse } from 'yaml';
import { injectCaBundle } from '../../src/admin/webhook-ca-bundle';
import { createWebhookServer, type WebhookServer } from '../../src/admin/webhook';
import { CertificateAuthority } from '../../src/ca';
import { ConfigStore, parseDocuments } from '../../src/model';
import { cleanup } from '../harness/processes';
import { startKube, type Kube } from './harness/apiserver';
import { applyManifests, isCrd, MANIFESTS_DIR } from './harness/manifests';

/** The rules of manifests/webhook.yaml, as a cluster would register them. */
function manifestRules(): V1RuleWithOperations[] {
  const config = parse(readFileSync(path.join(MANIFESTS_DIR, 'webhook.yaml'), 'utf8')) as { webhooks: { rules: V1RuleWithOperations[] }[] };
  return config.webhooks[0]!.rules;
}

const NS = 'e2e-webhook';
const CONFIG = 'mast-validator-e2e';
const group = 'networking.istio.io';

let kube: Kube;
let kc: KubeConfig;
let objects: CustomObjectsApi;
let webhook: WebhookServer;
/** What the webhook checks against: a Service for the VirtualServices' host, as a cluster would have. */
const store = new ConfigStore();
const reviews = parseDocuments(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: ${NS}}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}`, 'reviews.yaml');
store.replaceSource('reviews.yaml', reviews.objects, reviews.diagnostics);

before(async () => {
  kube = await startKube();
  kc = kube.kubeConfig();
  objects = kc.makeApiClient(CustomObjectsApi);
  await applyManifests(kc, { select: isCrd });
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });

  webhook = await createWebhookServer({
    ca: await CertificateAuthority.create(),
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    world: () => ({ snapshot: store.snapshot(), preview: (o) => store.preview(o) }),
    log: pino({ level: 'warn' }),
  });
  const port = await webhook.listen('127.0.0.1', 0);
  // The manifests' rules, with a URL instead of the in-cluster Service and no caBundle yet.
  await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
    body: {
      metadata: { name: CONFIG },
      webhooks: [{
        name: 'validation.mast.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        clientConfig: { url: `https://127.0.0.1:${port}/validate` },
        rules: manifestRules(),
      }],
    },
  });
  assert.equal(await injectCaBundle(kc, CONFIG, webhook.caPem), true);
  assert.equal(await injectCaBundle(kc, CONFIG, webhook.caPem), false, 'a second injection changes nothing');
});

after(async () => {
  await webhook?.close();
  await kube?.stop();
  await cleanup();
});

const vs = (name: string, weights: number[]) => ({
  apiVersion: `${group}/v1`,
  kind: 'VirtualService',
  metadata: { name },
  spec: {
    hosts: ['reviews'],
    http: [{ route: weights.map((weight, i) => ({ destination: { host: 'reviews', subset: `v${i + 1}` }, weight })) }],
  },
});

/** The apiserver's refusal message, or undefined when the create succeeded. */
async function createRefusal(plural: string, body: object, version = 'v1', apiGroup = group): Promise<string | undefined> {
  try {
    await objects.createNamespacedCustomObject({ group: apiGroup, version, namespace: NS, plural, body });
    return undefined;
  } catch (err) {
    const body = (err as { body?: unknown }).body;
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string } | undefined);
    return parsed?.message ?? String(err);
  }
}

test('an invalid VirtualService is refused with the field and the diagnostic', async () => {
  const message = await createRefusal('virtualservices', vs('bad-weights', [-50, 150]));
  assert.ok(message, 'the create must be refused');
  assert.match(message, /admission webhook "validation\.mast\.io" denied the request/);
  assert.match(message, /spec\.http\[0\]\.route\[0\]\.weight: MAST2001 weight -50 < 0/);
});

test('a valid VirtualService is accepted (weights are relative, as in Istio), and an update that breaks it is refused', async () => {
  assert.equal(await createRefusal('virtualservices', vs('good-weights', [50, 40])), undefined);
  const current = (await objects.getNamespacedCustomObject({ group, version: 'v1', namespace: NS, plural: 'virtualservices', name: 'good-weights' })) as { spec: { http: { route: { weight: number }[] }[] } };
  current.spec.http[0]!.route[1]!.weight = -10;
  await assert.rejects(
    objects.replaceNamespacedCustomObject({ group, version: 'v1', namespace: NS, plural: 'virtualservices', name: 'good-weights', body: current }),
    (err: Error & { body?: unknown }) => /MAST2001 weight -10 (<|\\u003c) 0/.test(String(err.body ?? err.message)),
  );
});

test('an older served version is validated the same way', async () => {
  const old = { ...vs('old-version', [70, -20]), apiVersion: `${group}/v1alpha3` };
  assert.match((await createRefusal('virtualservices', old, 'v1alpha3')) ?? '', /MAST2001 weight -20 < 0/);
});

test('what Istio\'s rules let by but Envoy would reject is refused too, with the MAST4001 the log would show', async () => {
  // An unknown %COMMAND% in a header value passes Istio's validation; Envoy refuses the route table.
  const body = vs('unknown-format', [100]);
  (body.spec.http[0] as { headers?: object }).headers = { request: { set: { 'x-who': '%NO_SUCH_COMMAND%' } } };
  const message = await createRefusal('virtualservices', body);
  assert.match(message ?? '', /MAST4001 Envoy would reject rds .*request_headers_to_add.*made from VirtualService\/e2e-webhook\/unknown-format/);
});

test('an invalid DestinationRule is refused; a valid one is accepted', async () => {
  const dr = (name: string, subsets: object[]) => ({ apiVersion: `${group}/v1`, kind: 'DestinationRule', metadata: { name }, spec: { host: 'reviews', subsets } });
  const message = await createRefusal('destinationrules', dr('dup', [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v1', labels: { version: 'v2' } }]));
  assert.match(message ?? '', /spec\.subsets\[1\]\.name: MAST2009/);
  assert.equal(await createRefusal('destinationrules', dr('ok', [{ name: 'v1', labels: { version: 'v1' } }])), undefined);
});

test('a subset no DestinationRule defines yet is admitted (apply order must not matter)', async () => {
  assert.equal(await createRefusal('virtualservices', vs('unknown-subset', [100])), undefined);
});

test('every Istio kind Mast reads goes through the webhook: a bad EnvoyFilter (MAST2064) and Telemetry (MAST2058) are refused with the line the log shows, good ones accepted', async () => {
  const lua = (name: string, typedConfig: object) => ({
    apiVersion: `${group}/v1alpha3`,
    kind: 'EnvoyFilter',
    metadata: { name },
    spec: {
      configPatches: [{
        applyTo: 'HTTP_FILTER',
        match: { context: 'SIDECAR_INBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
        patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', ...typedConfig } } },
      }],
    },
  });
  const badFilter = await createRefusal('envoyfilters', lua('bad-lua', { inline_code: '-- x', bogus: 1 }), 'v1alpha3');
  assert.match(badFilter ?? '', /admission webhook "validation\.mast\.io" denied the request: EnvoyFilter e2e-webhook\/bad-lua is invalid: spec\.configPatches\[0\]\.patch\.value\.typed_config\.bogus: MAST2064 /);
  assert.equal(await createRefusal('envoyfilters', lua('good-lua', { inline_code: '-- x' }), 'v1alpha3'), undefined);

  const telemetry = (name: string, expression: string) => ({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression } }] } });
  const badTelemetry = await createRefusal('telemetries', telemetry('bad-filter', 'response.code >='), 'v1', 'telemetry.istio.io');
  assert.match(badTelemetry ?? '', /denied the request: Telemetry e2e-webhook\/bad-filter is invalid: spec\.accessLogging\[0\]\.filter\.expression: MAST2058 /);
  assert.equal(await createRefusal('telemetries', telemetry('errors-only', 'response.code >= 400'), 'v1', 'telemetry.istio.io'), undefined);
});
