// Differential test: Mast admits exactly the VirtualServices, DestinationRules and Gateways that
// Istio admits, with `istioctl validate` (built by `make istioctl` at the pinned revision) as the
// judge. Objects come from the project's tests and examples, from Istio's own samples and test
// data, and from a seeded generator. Every disagreement must be a difference listed, with its
// reason, in docs/istio-conformance.md (DIFFERENCES); any other fails the test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from '../../src/model';
import { parseObject } from '../../src/model/parse/object';
import { BAD_INPUTS, reviews } from '../model/fixtures';
import { istioModuleDir, istioModuleObjects, projectObjects, type Found } from './corpus';
import { cornerObjects } from './corners';
import { DIFFERENCES, type Difference } from './differences';
import { fuzzedObjects, retypedObjects } from './fuzz';
import { generatedObjects } from './generate';
import { istioctlPath, istioKey, istioValidate, type IstioVerdict, type Raw } from './istioctl';
import { parseAllDocuments } from 'yaml';

const SEED = 20260827;
const GENERATED = 3000;
const FUZZED = 2000;
const RETYPED = 1000;
const DOC = path.resolve(__dirname, '..', '..', 'docs', 'istio-conformance.md');

interface Case {
  object: Raw;
  from: string;
}

interface Outcome {
  from: string;
  object: Raw;
  mast: Diagnostic[];
  istio: IstioVerdict;
  mastRefuses: boolean;
  istioRefuses: boolean;
  listed?: Difference;
}

/** Each object renamed `c<N>` (Gateways keep a trace of an invalid name) so that istioctl's findings can be told apart. */
function distinct(cases: Found[]): Case[] {
  return cases.map(({ object, from }, i) => {
    const meta = (object.metadata ?? {}) as Raw;
    const name = typeof meta.name === 'string' && meta.name ? meta.name : 'unnamed';
    return { from, object: { ...object, metadata: { ...meta, name: `${name}-c${i}`, namespace: meta.namespace ?? 'default' } } };
  });
}

function compare(bin: string, cases: Case[]): Outcome[] {
  const verdicts = istioValidate(bin, cases.map((c) => c.object));
  return cases.map(({ object, from }) => {
    const mast = parseObject(object, { file: from }, { domain: 'cluster.local' }).diagnostics;
    const istio = verdicts.get(istioKey(object)) as IstioVerdict;
    const mastRefuses = mast.some((d) => d.severity === 'error');
    const istioRefuses = istio.errors.length > 0;
    const outcome: Outcome = { from, object, mast, istio, mastRefuses, istioRefuses };
    if (mastRefuses !== istioRefuses) outcome.listed = DIFFERENCES.find((d) => d.refusedBy === (mastRefuses ? 'mast' : 'istio') && d.applies(object, mast, istio));
    return outcome;
  });
}

function describe(o: Outcome): string {
  const mast = o.mast.map((d) => `  mast: ${d.severity} ${d.code} ${d.field ?? ''} ${d.message}`).join('\n');
  const istio = [...o.istio.errors.map((e) => `  istio error: ${e}`), ...o.istio.warnings.map((w) => `  istio warning: ${w}`)].join('\n');
  return `${o.from} (${istioKey(o.object)}): Mast ${o.mastRefuses ? 'refuses' : 'accepts'}, Istio ${o.istioRefuses ? 'refuses' : 'accepts'}\n${JSON.stringify(o.object.spec)}\n${mast}\n${istio}`;
}

/** The project's objects: files and literals, plus the fixtures' YAML inputs. */
function projectCases(): Found[] {
  const fixtures = [...BAD_INPUTS.map((b) => ({ text: b.text, from: `test/model/fixtures.ts BAD_INPUTS ${b.name}` }))];
  const fromFixtures = fixtures.flatMap(({ text, from }) =>
    parseAllDocuments(text)
      .filter((d) => !d.errors.length)
      .map((d) => d.toJS() as Raw)
      .filter((o) => ['VirtualService', 'DestinationRule', 'Gateway'].includes(o?.kind as string))
      .map((object) => ({ object, from })),
  );
  const fromReviews = reviews()
    .filter((o) => o.kind !== 'Service')
    .map((object) => ({ object, from: 'test/model/fixtures.ts reviews()' }));
  return [...projectObjects(), ...fromFixtures, ...fromReviews];
}

test('Mast accepts and refuses the Istio objects that istioctl validate accepts and refuses', async (t) => {
  const bin = istioctlPath();
  if (!bin) {
    t.skip('istioctl is not built: run `make istioctl` (tools/istio/build.sh) or set ISTIOCTL_BIN');
    return;
  }
  const doc = readFileSync(DOC, 'utf8');
  for (const d of DIFFERENCES) assert.match(doc, new RegExp(`\\{#${d.id}\\}`), `docs/istio-conformance.md explains difference ${d.id}`);

  const sources: [string, Found[]][] = [
    ['project', projectCases()],
    ['istio', istioModuleObjects(istioModuleDir())],
    ['corners', cornerObjects().map((object, i) => ({ object, from: `corners #${i}` }))],
    ['generated', generatedObjects(SEED, GENERATED).map((object, i) => ({ object, from: `generated #${i}` }))],
    ['fuzzed', fuzzedObjects(SEED, FUZZED).map((object, i) => ({ object, from: `fuzzed #${i}` }))],
    ['retyped', retypedObjects(SEED, RETYPED).map((object, i) => ({ object, from: `retyped #${i}` }))],
  ];
  const unlisted: Outcome[] = [];
  const used = new Set<string>();
  for (const [source, found] of sources) {
    const outcomes = compare(bin, distinct(found));
    const agree = outcomes.filter((o) => o.mastRefuses === o.istioRefuses);
    const listed = outcomes.filter((o) => o.listed);
    for (const o of listed) used.add((o.listed as Difference).id);
    unlisted.push(...outcomes.filter((o) => o.mastRefuses !== o.istioRefuses && !o.listed));
    const refused = outcomes.filter((o) => o.istioRefuses).length;
    t.diagnostic(`${source}: ${agree.length}/${outcomes.length} agree (Istio refuses ${refused}); ${listed.length} listed differences; ${outcomes.length - agree.length - listed.length} unlisted`);
    const byId = new Map<string, number>();
    for (const o of listed) byId.set((o.listed as Difference).id, (byId.get((o.listed as Difference).id) ?? 0) + 1);
    if (byId.size) t.diagnostic(`${source}: listed differences ${[...byId].map(([id, n]) => `${id} ×${n}`).join(', ')}`);
  }
  for (const o of unlisted.slice(0, 15)) for (const line of describe(o).split('\n')) t.diagnostic(line);
  assert.equal(unlisted.length, 0, `${unlisted.length} objects where Mast and Istio disagree for no listed reason (first ones above)`);
});
