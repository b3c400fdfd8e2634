import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigStore, formatDiagnostic, parseDocuments, refKey, snapshotFromYaml, type Logger } from '../../src/model';
import { BAD_INPUTS, destinationRule, reviews, service, virtualService, yamlOf, type Raw } from './fixtures';

/** Writes `file` and reads the store, as a file event in a tick of its own would. */
function put(store: ConfigStore, file: string, ...objects: Raw[]): void {
  const { objects: raws, diagnostics } = parseDocuments(yamlOf(...objects), file);
  store.replaceSource(file, raws, diagnostics);
  store.snapshot();
}

function timeoutOf(store: ConfigStore, name: string): string | undefined {
  return store.snapshot().virtualServices().find((vs) => vs.meta.name === name)?.spec.http?.[0]?.timeout;
}

for (const bad of BAD_INPUTS) {
  test(`${bad.name}: exactly one finding, on the right object and field; the rest still applies`, () => {
    const { snapshot, diagnostics } = snapshotFromYaml(`${yamlOf(...reviews())}---\n${bad.text}`, 'mesh.yaml');
    assert.equal(diagnostics.length, 1, diagnostics.map(formatDiagnostic).join('\n'));
    const [d] = diagnostics;
    assert.equal(d?.code, bad.expect.code);
    assert.equal(d?.object && refKey(d.object), bad.expect.ref);
    assert.equal(d?.field, bad.expect.field);
    assert.equal(d?.origin?.file, 'mesh.yaml');
    assert.equal(d?.origin?.doc, 4);
    assert.deepEqual(
      snapshot.virtualServices().map((vs) => vs.meta.name),
      ['reviews'],
    );
    assert.equal(snapshot.destinationRules().length, 1);
    assert.equal(snapshot.services().length, 1);
  });
}

test('an invalid new version keeps the last valid one in the snapshot; fixing it applies the fix', () => {
  const store = new ConfigStore();
  const [svc, dr] = reviews() as [Raw, Raw];
  put(store, 'a.yaml', svc, dr, virtualService('reviews', 'reviews', { v1: undefined }, { timeout: '1s' }));
  const generation = store.generation;
  assert.equal(timeoutOf(store, 'reviews'), '1s');

  put(store, 'a.yaml', svc, dr, virtualService('reviews', 'reviews', { v1: 0, v2: 0 }, { timeout: '2s' }));
  assert.equal(timeoutOf(store, 'reviews'), '1s');
  assert.equal(store.generation, generation, 'keeping the old version is no change');
  assert.deepEqual(
    store.diagnostics().map((d) => d.code),
    ['MAST2001'],
  );

  put(store, 'a.yaml', svc, dr, virtualService('reviews', 'reviews', { v1: undefined }, { timeout: '3s' }));
  assert.equal(timeoutOf(store, 'reviews'), '3s');
  assert.equal(store.generation, generation + 1);
  assert.deepEqual(store.diagnostics(), []);
});

test('a file with a malformed document keeps what it had until it reads whole again', () => {
  const store = new ConfigStore();
  put(store, 'a.yaml', service('reviews'), service('ratings'));
  const broken = parseDocuments(`${yamlOf(service('reviews'))}---\nkind: Service\nmetadata: [broken\n`, 'a.yaml');
  store.replaceSource('a.yaml', broken.objects, broken.diagnostics);
  assert.deepEqual(
    store.snapshot().services().map((s) => s.meta.name),
    ['ratings', 'reviews'],
  );
  assert.deepEqual(
    store.diagnostics().map((d) => d.code),
    ['MAST1001'],
  );
  put(store, 'a.yaml', service('reviews'));
  assert.deepEqual(
    store.snapshot().services().map((s) => s.meta.name),
    ['reviews'],
  );
});

test('an object that was never valid is absent', () => {
  const store = new ConfigStore();
  put(store, 'a.yaml', virtualService('reviews', 'reviews', { v1: 0, v2: 0 }));
  assert.equal(store.snapshot().virtualServices().length, 0);
  assert.equal(store.generation, 0);
});

test('a route to a missing subset is served with a MAST3001 warning, as Istio serves it (only that route fails)', () => {
  const store = new ConfigStore();
  put(store, 'dr.yaml', destinationRule('reviews', 'reviews', ['v1', 'v2']));
  put(store, 'vs.yaml', virtualService('reviews', 'reviews', { v1: undefined }, { timeout: '1s' }));
  put(store, 'vs.yaml', virtualService('reviews', 'reviews', { v3: undefined }, { timeout: '2s' }));
  assert.equal(timeoutOf(store, 'reviews'), '2s');
  assert.deepEqual(
    store.diagnostics().map((d) => [d.code, d.severity, d.origin?.file, d.field]),
    [['MAST3001', 'warning', 'vs.yaml', 'spec.http[0].route[0].destination.subset']],
  );
  assert.match(store.diagnostics()[0]?.message ?? '', /IST0101/);

  put(store, 'dr.yaml', destinationRule('reviews', 'reviews', ['v1', 'v3']));
  assert.equal(timeoutOf(store, 'reviews'), '2s');
  assert.deepEqual(store.diagnostics(), []);
});

test('the same object from two sources: a warning on the copy that came later; the served one keeps serving', () => {
  const store = new ConfigStore();
  put(store, 'b.yaml', service('reviews', 'default', [{ port: 2 }]));
  // A copy in a file that sorts first must not take over what is live.
  put(store, 'a.yaml', service('reviews', 'default', [{ port: 1 }]));
  const ports = () => store.snapshot().services().map((s) => s.ports[0]?.port);
  assert.deepEqual(ports(), [2]);
  const warnings = store.diagnostics();
  assert.deepEqual(
    warnings.map((d) => [d.code, d.severity, d.origin?.file, d.field]),
    [['MAST1010', 'warning', 'a.yaml', 'metadata.name']],
  );
  assert.match(warnings[0]?.message ?? '', /already defined at b\.yaml#1/);

  // Edits to the served copy apply; edits to the ignored one do not.
  put(store, 'b.yaml', service('reviews', 'default', [{ port: 3 }]));
  put(store, 'a.yaml', service('reviews', 'default', [{ port: 4 }]));
  assert.deepEqual(ports(), [3]);

  // Once the served copy goes, the other one is served, and nothing is reported.
  put(store, 'b.yaml');
  assert.deepEqual(ports(), [4]);
  assert.deepEqual(store.diagnostics(), []);
});

test('two copies neither of which is served yet: the lower rank (file mode: the older file) wins, then the name', () => {
  const store = new ConfigStore();
  const load = (file: string, port: number, rank: number) =>
    store.replaceSource(file, parseDocuments(yamlOf(service('reviews', 'default', [{ port }])), file).objects, [], rank);
  load('a.yaml', 1, 200);
  load('b.yaml', 2, 100);
  load('c.yaml', 3, 100);
  assert.deepEqual(store.snapshot().services().map((s) => s.ports[0]?.port), [2]);
  assert.deepEqual(store.diagnostics().map((d) => d.origin?.file).sort(), ['a.yaml', 'c.yaml']);
});

test('the generation moves, and change fires, once per effective change and not for a no-op rewrite', async () => {
  const store = new ConfigStore();
  const changes: number[] = [];
  store.on('change', (generation) => changes.push(generation));
  put(store, 'a.yaml', ...reviews());
  const first = store.snapshot();
  put(store, 'a.yaml', ...reviews());
  assert.equal(store.snapshot(), first, 'the same snapshot object');
  const ratings = parseDocuments(yamlOf(service('ratings')), 'b.yaml').objects;
  store.replaceSource('b.yaml', ratings);
  assert.deepEqual(changes, [1]);
  await Promise.resolve(); // without anyone reading, change fires at the end of the tick
  assert.deepEqual(changes, [1, 2]);
  store.replaceSource('b.yaml', ratings);
  await Promise.resolve();
  assert.deepEqual(changes, [1, 2]);
  assert.equal(store.generation, 2);
});

test('each snapshot knows the generation in which each kind last changed', () => {
  const store = new ConfigStore();
  put(store, 'a.yaml', ...reviews());
  const g1 = store.snapshot().generation;
  put(store, 'b.yaml', service('ratings'));
  const s2 = store.snapshot();
  assert.equal(s2.changedSince(['Service'], g1), true, 'a Service was added');
  assert.equal(s2.changedSince(['VirtualService', 'DestinationRule'], g1), false);
  assert.equal(s2.changedSince(['Service'], s2.generation), false);
  store.replaceSource('b.yaml', []);
  const s3 = store.snapshot();
  assert.equal(s3.changedSince(['Service'], s2.generation), true, 'a removal is a change');
  assert.equal(s3.changedSince(['Gateway'], 0), false, 'a kind never seen never changed');
});

test('writes in one tick make one generation, however many', async () => {
  const store = new ConfigStore();
  const changes: number[] = [];
  store.on('change', (generation) => changes.push(generation));
  for (let i = 0; i < 50; i++) store.upsert('k8s', service(`s${i}`), { apiPath: `/s${i}` });
  store.remove('k8s', { kind: 'Service', namespace: 'default', name: 's0' });
  await Promise.resolve();
  assert.deepEqual(changes, [1]);
  assert.equal(store.snapshot().services().length, 49);
});

test('Kubernetes-style upsert and remove', () => {
  const store = new ConfigStore();
  store.upsert('k8s', service('reviews'), { apiPath: '/api/v1/namespaces/default/services/reviews' });
  store.upsert('k8s', service('reviews', 'default', [{ port: 8080 }]), { apiPath: '/api/v1/namespaces/default/services/reviews' });
  assert.deepEqual(
    store.snapshot().services().map((s) => s.ports[0]?.port),
    [8080],
  );
  store.remove('k8s', { kind: 'Service', namespace: 'default', name: 'reviews' });
  assert.equal(store.snapshot().services().length, 0);
  assert.equal(store.generation, 2, 'the two upserts before the first read made one generation');
});

test('each new finding is logged once, as its formatted line, not on every rebuild', () => {
  const lines: [string, string][] = [];
  const log: Logger = {
    info: () => {},
    warn: (_obj, msg) => lines.push(['warn', msg]),
    error: (_obj, msg) => lines.push(['error', msg]),
  };
  const store = new ConfigStore({ log });
  put(store, 'a.yaml', virtualService('reviews', 'reviews', { v1: 0, v2: 0 }));
  put(store, 'b.yaml', service('ratings'));
  put(store, 'a.yaml', virtualService('reviews', 'reviews', { v1: 0, v2: 0 }));
  assert.deepEqual(lines, [
    ['error', 'a.yaml#1 VirtualService/default/reviews spec.http[0].route: MAST2001 total destination weight = 0: with several destinations, at least one needs a weight above 0'],
  ]);
});
