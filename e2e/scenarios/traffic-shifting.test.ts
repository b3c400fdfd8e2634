// Weighted routing with Istio's traffic-shifting task YAML: 100/0 -> 50/50 -> 0/100, then an edit
// of the weights in place. Each change must show in the observed split within 2 s.
import { test } from 'node:test';
import { task } from '../harness/mesh';
import { assertSplit, converge, describeMesh, reviewsSplit, seesOnly } from '../harness/scenario';

const SAMPLES = 200;

describeMesh('traffic shifting', (mesh) => {
  test("weights 100/0 -> 50/50 -> 0/100 (Istio's task) change the split", async (t) => {
    await mesh().apply(task('virtual-service-all-v1.yaml'));
    await converge(t, '100/0 (virtual-service-all-v1)', () => seesOnly(mesh(), ['v1']));
    assertSplit(await reviewsSplit(mesh(), SAMPLES), { v1: 1 });

    await mesh().apply(task('virtual-service-reviews-50-v3.yaml'));
    await converge(t, '50/50 (virtual-service-reviews-50-v3)', () => seesOnly(mesh(), ['v1', 'v3'], 20));
    assertSplit(await reviewsSplit(mesh(), SAMPLES), { v1: 0.5, v3: 0.5 });

    await mesh().apply(task('virtual-service-reviews-v3.yaml'));
    // From 50/50, ten v3 answers in a row come by luck once in 1024 polls, and polls repeat every
    // few ms until the change lands; one lucky poll passes early and v1 then fails the split
    // below. Thirty in a row by luck is one in a billion.
    await converge(t, '0/100 (virtual-service-reviews-v3)', () => seesOnly(mesh(), ['v3'], 30));
    assertSplit(await reviewsSplit(mesh(), SAMPLES), { v3: 1 });
  });

  test('editing the weights in a file changes the split', async (t) => {
    const edited = task('virtual-service-reviews-50-v3.yaml').replace('weight: 50', 'weight: 80').replace('weight: 50', 'weight: 20');
    await mesh().apply(edited);
    // From the previous test's v3 only, any v1 means the edit arrived.
    await converge(t, '80/20 edit', async () => (await reviewsSplit(mesh(), 10))['v1'] !== undefined);
    assertSplit(await reviewsSplit(mesh(), SAMPLES), { v1: 0.8, v3: 0.2 });
  });
});
