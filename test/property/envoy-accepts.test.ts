// Property: whatever Mast accepts and sends, real Envoy accepts; and what Mast refuses (or its
// net leaves out) takes nothing else with it.
//
// Seeded fast-check batches of generated VirtualServices, DestinationRules and Gateways
// (arbitraries.ts) over a fixed mesh (mesh.ts) go into a ConfigStore; what each proxy would be
// sent comes from the real ViewCache, goes into a static bootstrap (test/support) and must pass
// `envoy --mode validate`, one run per proxy and batch. Nothing may be left out by the view
// cache's net (MAST4001: a gap in model validation or a translation bug) unless it is a known gap
// listed below, and the isolation checks of judge.ts must hold. A failing batch is shrunk (within
// a time budget, since every step runs Envoy) and printed with the reason.
//
// MAST_PROPERTY_SEED=<n> picks another seed, MAST_PROPERTY_BATCHES=<n> another number of batches;
// MAST_PROPERTY_PATH=<path> (printed on failure) replays a shrunk failure directly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { refKey, type Diagnostic } from '../../src/model';
import type { EnvoyJson } from '../../src/translate/types';
import type { Raw } from '../model/fixtures';
import { envoyValidate, refusedByEnvoy, skipWithoutEnvoy } from '../support/envoy-validate';
import { staticBootstrap } from '../support/static-bootstrap';
import { validationSecrets } from '../support/validation-secrets';
import { batchArbitrary, rawObjects, type Generated } from './arbitraries';
import { leftOutAlone, load, refOfRaw, routesIndependent, views, type SentView } from './judge';

const SEED = Number(process.env.MAST_PROPERTY_SEED ?? 20261201);
const BATCHES = Number(process.env.MAST_PROPERTY_BATCHES ?? 48);
const BATCH_SIZE = 40;
/** Shrinking a failure runs Envoy at every step; past this it stops and prints the smallest so far. */
const SHRINK_BUDGET_MS = 45_000;
/** A shrunk input cut short when its time ran out is printed up to here; the replay path gives it whole. */
const MAX_YAML_LINES = 400;

/**
 * What the view cache's net may catch without failing the test: inputs Istio accepts (so the model
 * accepts them too) that Envoy refuses, which the net exists for; each was put to `istioctl
 * validate` at the pinned revision. Any other MAST4001 is a gap in the model or a translation
 * bug and fails the test. Entries match the field and the gist of the finding, not its wording.
 */
const KNOWN_GAPS: { id: string; why: string; matches: (d: Diagnostic) => boolean }[] = [
  {
    id: 'regex-program-size',
    // Istio checks a regex with Go's regexp, which has no RE2 program size limit, so istioctl
    // accepts `.{1000}` five times over; Envoy refuses it over re2.max_program_size.error_level
    // (32768 in Mast's bootstrap, as in Istio's). The net's size is an upper bound
    // (src/model/validate/re2-size.ts), within 1-7x of RE2's own and exact for `.`'s range.
    why: 'RE2 program size is Envoy\'s limit, not Istio\'s',
    matches: (d) => /\.regex: .*program size/i.test(d.message),
  },
  {
    id: 'unknown-format-command',
    // Istio's ValidateHTTPHeaderValue checks `%` syntax only ("we don't try to check that what
    // is inside the %% is one of Envoy recognized values"), so istioctl accepts `%BOGUS%`, and so
    // does the model; Envoy refuses it ("Not supported field in StreamInfo: BOGUS").
    why: 'a header value naming a substitution command Envoy does not have passes Istio and the model',
    // The generators' only unknown command is BOGUS.
    matches: (d) => /header\.value: .*BOGUS/.test(d.message),
  },
  {
    id: 'empty-query-parameter-name',
    // istioctl accepts `queryParams: {"": {exact: /}}`, and so does the model; Envoy's
    // QueryParameterMatcher.name has min_len 1.
    why: 'a query parameter match with an empty name passes Istio and the model',
    matches: (d) => /query_parameters\[\d+\]\.name: /.test(d.message),
  },
];

interface Stats {
  batches: number;
  objects: number;
  refused: number;
  views: number;
  acceptedByEnvoy: number;
  /** Routes made from generated VirtualServices in the views Envoy judged. */
  routes: number;
  /** Isolation comparisons where something had been refused or left out. */
  isolationChecked: number;
  /** Each finding with its batch and the generated object it names. */
  leftOut: { batch: number; finding: Diagnostic; input: Raw; gap?: (typeof KNOWN_GAPS)[number] }[];
}

const stats: Stats = { batches: 0, objects: 0, refused: 0, views: 0, acceptedByEnvoy: 0, routes: 0, isolationChecked: 0, leftOut: [] };

/** The kinds of problem, checked in this order. */
const KINDS = ['translation', 'net', 'bind', 'envoy', 'isolation'] as const;
type ProblemKind = (typeof KINDS)[number];

const countRoutes = (v: SentView): number =>
  v.json.routes.flatMap((t) => (t.json.virtual_hosts as EnvoyJson[] | undefined) ?? []).flatMap((h) => (h.routes as EnvoyJson[] | undefined) ?? []).filter((r) => JSON.stringify(r.metadata ?? '').includes('VirtualService/')).length;

interface Found {
  kind: ProblemKind;
  problems: string[];
  /** The proxies whose view Envoy refused. */
  refusedBy: string[];
}

/**
 * The problems with what Mast makes of `batch`, of the first kind that has any (none: the
 * property holds). While shrinking, `focus` (the first failure) limits the checks to its kind,
 * which for all but Envoy's verdict spares Envoy runs, and Envoy runs to one proxy it refused.
 * Counts into `tally` when given.
 */
async function problemsWith(batch: readonly Generated[], focus?: Found, tally?: Stats): Promise<Found | undefined> {
  const secrets = await validationSecrets();
  const raws = rawObjects(batch);
  const loaded = load(raws);
  const refusedBy: string[] = [];
  const all = views(loaded.snapshot);
  const inputOf = (d: Diagnostic) => raws.find((r) => d.object && refKey(refOfRaw(r)) === refKey(d.object));
  const checks: Record<ProblemKind, () => Promise<string[]> | string[]> = {
    translation: () => all.flatMap((v) => v.errors.map((e) => `${v.name}: translation failed in ${e.part}: ${e.message}`)),
    net: () =>
      all.flatMap((v) =>
        v.leftOut.flatMap((d) => {
          const gap = KNOWN_GAPS.find((g) => g.matches(d));
          tally?.leftOut.push({ batch: tally.batches, finding: d, input: inputOf(d) ?? {}, ...(gap ? { gap } : {}) });
          return gap ? [] : [`${v.name}: the net left out what model validation let through (MAST4001): ${d.message}`];
        }),
      ),
    // Validate mode binds no socket, so a listener on the proxy's own admin port passes it; a real
    // Envoy cannot bind it and refuses the listener update (issue 6: a Gateway server on 15000).
    bind: () =>
      all.flatMap((v) => {
        const admin = (staticBootstrap(v.json, v.proxy, secrets).admin as { address: { socket_address: { port_value: number } } }).address.socket_address.port_value;
        return v.json.listeners
          .filter((l) => (l.json.address as { socket_address?: { port_value?: number } } | undefined)?.socket_address?.port_value === admin && l.json.bind_to_port !== false)
          .map((l) => `${v.name}: listener ${l.name} binds the proxy's admin port ${admin}`);
      }),
    envoy: async () => {
      // While shrinking, one proxy Envoy refused is enough.
      const judged = focus ? all.filter((v) => v.name === focus.refusedBy[0]) : all;
      const verdicts = await Promise.all(judged.map((v) => envoyValidate(staticBootstrap(v.json, v.proxy, secrets))));
      if (tally) {
        tally.views += all.length;
        tally.acceptedByEnvoy += verdicts.filter((v) => v.ok).length;
        tally.routes += all.reduce((n, v) => n + countRoutes(v), 0);
      }
      const refused = judged.filter((_, i) => !verdicts[i]?.ok);
      refusedBy.push(...refused.map((v) => v.name));
      // The first time, name the objects that make Envoy refuse on their own (shrinking may run out of time).
      const blamed = focus || !refused[0] ? [] : [await culprits(loaded.admitted, refused[0].name)];
      return refused.map((v, i) => `${v.name}: envoy --mode validate refuses what Mast would send:\n${verdicts[judged.indexOf(v)]?.output}${blamed[i] ?? ''}`);
    },
    isolation: () => {
      const problems: string[] = [];
      for (const v of all) {
        if (loaded.refused.length === 0 && v.leftOut.length === 0) continue;
        if (tally) tally.isolationChecked++;
        problems.push(...leftOutAlone(loaded, v).map((p) => `${v.name}: ${p}`));
      }
      return [...problems, ...routesIndependent(loaded, all)];
    },
  };
  if (tally) {
    tally.batches++;
    tally.objects += raws.length;
    tally.refused += loaded.refused.length;
  }
  for (const kind of KINDS) {
    if (focus && kind !== focus.kind) continue;
    const problems = await checks[kind]();
    if (problems.length) return { kind, problems, refusedBy };
  }
  return undefined;
}

/** The objects among `admitted` that, alone over the base mesh, make Envoy refuse `proxyName`'s view (bisecting). */
async function culprits(admitted: readonly Raw[], proxyName: string): Promise<string> {
  const viewOf = (group: readonly Raw[]) => views(load(group).snapshot).find((v) => v.name === proxyName) as SentView;
  const secrets = await validationSecrets();
  const found = await refusedByEnvoy(admitted, (group) => {
    const v = viewOf(group);
    return staticBootstrap(v.json, v.proxy, secrets);
  });
  return [...found].map(([raw, output]) => `\nalone, ${refKey(refOfRaw(raw))} makes Envoy refuse: ${output}\n${stringify(raw)}`).join('');
}

test('whatever Mast accepts and sends, envoy --mode validate accepts; what it refuses takes nothing else with it', { skip: skipWithoutEnvoy, timeout: 300_000 }, async (t) => {
  const started = Date.now();
  let first: (Found & { at: number }) | undefined;
  const property = fc.asyncProperty(batchArbitrary(BATCH_SIZE), async (batch) => {
    // Past the budget every further shrink candidate passes unseen, which ends shrinking.
    if (first && Date.now() - first.at > SHRINK_BUDGET_MS) return;
    const found = await problemsWith(batch, first, first ? undefined : stats);
    if (!found) return;
    first ??= { ...found, at: Date.now() };
    throw new Error(found.problems.join('\n'));
  });
  const path = process.env.MAST_PROPERTY_PATH;
  const details = await fc.check(property, { seed: SEED, numRuns: BATCHES, ...(path ? { path } : {}) });

  // A finding shows in each proxy the object reaches: list each once, under its object.
  const byObject = new Map<string, { input: Raw; gaps: Set<string>; messages: Set<string> }>();
  for (const l of stats.leftOut) {
    const key = `${l.batch} ${JSON.stringify(l.finding.object ?? l.finding.message)}`;
    const entry = byObject.get(key) ?? { input: l.input, gaps: new Set<string>(), messages: new Set<string>() };
    entry.gaps.add(l.gap ? `known gap ${l.gap.id}: ${l.gap.why}` : 'NOT a known gap');
    entry.messages.add(l.finding.message);
    byObject.set(key, entry);
  }
  t.diagnostic(`seed ${SEED} (MAST_PROPERTY_SEED), ${BATCHES} batches of up to ${BATCH_SIZE}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.diagnostic(`${stats.objects} objects generated; ${stats.refused} refused by the model; ${byObject.size} left out by the view cache's net (MAST4001); ${stats.acceptedByEnvoy}/${stats.views} proxy views, with ${stats.routes} routes made from generated VirtualServices, accepted by Envoy; ${stats.isolationChecked} views compared with the surviving objects alone`);
  for (const { input, gaps, messages } of byObject.values()) {
    t.diagnostic(`left out (${[...gaps].join('; ')}): ${JSON.stringify(input)}`);
    for (const m of messages) t.diagnostic(`  MAST4001 ${m}`);
  }

  if (details.failed) {
    const smallest = details.counterexample ? rawObjects(details.counterexample[0]) : [];
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const replay = `MAST_PROPERTY_SEED=${SEED} MAST_PROPERTY_PATH=${details.counterexamplePath ?? ''}`;
    const shrunk = `${details.numShrinks} shrinks in at most ${SHRINK_BUDGET_MS / 1000} s; replay with ${replay}`;
    const yaml = smallest.map((o) => stringify(o)).join('---\n').split('\n');
    const shown = yaml.length > MAX_YAML_LINES ? [...yaml.slice(0, MAX_YAML_LINES), `... (${yaml.length - MAX_YAML_LINES} more lines)`] : yaml;
    assert.fail(`${error}\n\nsmallest failing input (${shrunk}):\n${shown.join('\n')}\n\nas first found:\n${first?.problems.join('\n')}`);
  }
  assert.ok(stats.refused > 0 && stats.isolationChecked > 0, 'the batches exercised refusals, so isolation was really checked');
});
