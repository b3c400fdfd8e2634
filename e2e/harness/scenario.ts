// What scenario files share: one bookinfo mesh per file and transport, and the ways to look at it.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, type TestContext } from 'node:test';
import type { EchoAnswer } from '../../examples/app/echo';
import { kubeBackend } from '../k8s/harness/backend';
import { fileBackend, type BackendFactory, type ConfigBackend } from './backend';
import { Mesh, randomOctet } from './mesh';
import { get, getJson, sampleSplit, waitFor, type GetOptions } from './net';
import { cleanup } from './processes';

/** Convergence budget the issue sets: an edit in the config dir is observed within 2 s. */
export const CONVERGE_MS = 2000;

type SourceName = 'files' | 'kubernetes';

/** `ahead`: the backend is slow to start (an API server) and needs no config dir, so the next run's is started while the tests of the run before it go on. */
const SOURCES: Record<SourceName, { title: string; backend: BackendFactory; ahead: boolean }> = {
  files: { title: 'files', backend: fileBackend, ahead: false },
  kubernetes: { title: 'Kubernetes', backend: kubeBackend, ahead: true },
};

/**
 * The sources the suites run against: both by default, so one suite proves a resource behaves the
 * same from the config dir and from a real API server. MAST_E2E_SOURCE=files (or kubernetes)
 * picks one. Kubernetes mode needs e2e/k8s/netns.sh (make test and make test-k8s use it).
 */
function sourcesUnderTest(): SourceName[] {
  const names = (process.env['MAST_E2E_SOURCE'] ?? 'files,kubernetes').split(',').map((s) => s.trim());
  for (const n of names) if (!(n in SOURCES)) throw new Error(`MAST_E2E_SOURCE=${n}: expected files, kubernetes or both`);
  return names as SourceName[];
}

export interface MeshSuiteOptions {
  /** Sources the suite does not apply to, with the reason the run reports as a skip. */
  skip?: Partial<Record<SourceName, string>>;
  /** Folder of YAML the mesh starts from; bookinfo by default. */
  source?: string;
  /** More `mast serve` flags for the suite's meshes. */
  mastArgs?: string[];
  /** A hosts file for the mesh's Envoys, from its address prefix (MeshOptions.hosts). */
  hosts?: (prefix: string) => string;
}

/** Which of the runs a suite's body is defined for. */
export interface SuiteRun {
  source: SourceName;
  delta: boolean;
}

/**
 * Runs `body` against each source under test, with Envoys on state-of-the-world ADS and on delta
 * ADS, each time with a mesh started once for the whole block. A test during which any of the
 * mesh's Envoys NACKs an update fails. Each run gets a backend of its own (a fresh API server in
 * Kubernetes mode), but one that is slow to start is started when the run before it starts its
 * mesh, alongside it and its tests (kube-apiserver, etcd and the manifests take 5 s or more, much
 * of it waiting), rather than after it: a file's Kubernetes runs then barely wait for theirs.
 */
export function describeMesh(title: string, body: (mesh: () => Mesh, run: SuiteRun) => void, options: MeshSuiteOptions = {}): void {
  after(cleanup);
  const runs = sourcesUnderTest().flatMap((source) => [false, true].map((delta) => ({ source, delta, skip: options.skip?.[source] })));
  /** Backends started ahead, by run index; a run without one starts its own. */
  const ahead = new Map<number, Promise<ConfigBackend>>();
  const startAhead = (i: number): void => {
    const next = runs[i];
    if (!next || next.skip || !SOURCES[next.source].ahead) return;
    const started = SOURCES[next.source].backend('');
    // Its failure is the next run's to report (Mesh.start awaits it); until then it must not count as unhandled.
    started.catch(() => {});
    ahead.set(i, started);
  };
  runs.forEach(({ source, delta, skip }, i) => {
    describe(`${title} (${SOURCES[source].title}, ${delta ? 'delta' : 'SotW'} ADS)`, { skip: skip ?? false }, () => {
      let mesh: Mesh | undefined;
      before(async () => {
        const backend = ahead.get(i);
        startAhead(i + 1);
        mesh = await Mesh.start({ source: options.source, delta, octet: randomOctet(), backend: backend ? () => backend : SOURCES[source].backend, mastArgs: options.mastArgs, ...(options.hosts ? { hosts: options.hosts } : {}) });
      });
      // A NACK fails the test it happened in, whatever the test itself looked at (nacks.ts).
      afterEach(() => mesh?.nacks.assertNone('during this test'));
      after(() => mesh?.stop());
      body(() => {
        assert.ok(mesh, 'the mesh did not start');
        return mesh;
      }, { source, delta });
    });
  });
}

/** GET /productpage through the ingress gateway. */
export function productpage(mesh: Mesh, headers: Record<string, string> = {}): Promise<EchoAnswer> {
  return getJson<EchoAnswer>(mesh.gatewayUrl(), { headers });
}

/** The answer of whichever service `callee` is, sent from pod `from` through its sidecar. */
export function viaSidecar(mesh: Mesh, from: string, host: string, o: GetOptions = {}): Promise<EchoAnswer> {
  return getJson<EchoAnswer>(mesh.outboundUrl(from), { ...o, host });
}

/** Which reviews version served a productpage answer. */
export function reviewsVersion(a: EchoAnswer): string {
  const reviews = a.calls.find((c) => c.body?.service === 'reviews')?.body;
  assert.ok(reviews, `productpage reached no reviews: ${JSON.stringify(a.calls)}`);
  return reviews.version;
}

/** Counts reviews versions over n requests through the gateway. */
export function reviewsSplit(mesh: Mesh, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  return sampleSplit(n, async () => reviewsVersion(await productpage(mesh, headers)));
}

/** Whether `batch` requests all saw exactly the versions in `expected` (and each of them). */
export async function seesOnly(mesh: Mesh, expected: string[], batch = 10, headers: Record<string, string> = {}): Promise<boolean> {
  const seen = Object.keys(await reviewsSplit(mesh, batch, headers)).sort();
  return seen.join() === [...expected].sort().join();
}

/** Waits (at most CONVERGE_MS) for `predicate` after an edit, and reports how long it took. */
export async function converge(t: TestContext, what: string, predicate: () => Promise<boolean>): Promise<number> {
  const ms = await waitFor(predicate, CONVERGE_MS, what, 20);
  t.diagnostic(`${what}: converged in ${Math.round(ms)} ms`);
  return ms;
}

/**
 * Asserts each version's share of `counts` is within 4.5 binomial standard deviations of
 * `expected` over this many samples: a fair split fails by chance about once in 150 000 checks,
 * 50/50 is still told from 80/20, and a share of 0 or 1 must be exact.
 */
export function assertSplit(counts: Record<string, number>, expected: Record<string, number>): void {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  for (const [version, share] of Object.entries({ ...Object.fromEntries(Object.keys(counts).map((k) => [k, 0])), ...expected })) {
    const seen = (counts[version] ?? 0) / total;
    const allowed = 4.5 * Math.sqrt((share * (1 - share)) / total);
    assert.ok(Math.abs(seen - share) <= allowed, `${version}: ${(seen * 100).toFixed(1)}% of ${total}, expected ${share * 100}% ± ${(allowed * 100).toFixed(1)}% (${JSON.stringify(counts)})`);
  }
}

export interface LoopResult {
  requests: number;
  failures: string[];
}

/**
 * Names the innermost call that failed in an echo answer (`productpage -> reviews: 503 ...`), so a
 * failure in CI says which hop broke without the whole body.
 */
function failedHop(text: string): string {
  let answer: EchoAnswer;
  try {
    answer = JSON.parse(text) as EchoAnswer;
  } catch {
    return text.slice(0, 300);
  }
  const path: string[] = [answer.service];
  for (;;) {
    const bad = answer.calls.find((c) => c.status < 200 || c.status > 299);
    if (!bad) return path.join(' -> ');
    if (!bad.body || bad.body.calls.every((c) => c.status >= 200 && c.status <= 299)) {
      return `${path.join(' -> ')} -> ${bad.url}: ${bad.status} ${bad.error ?? bad.body?.service ?? ''}`;
    }
    path.push(bad.body.service);
    answer = bad.body;
  }
}

/**
 * Sends /productpage through the gateway over and over (`concurrency` at once) until stopped; a
 * non-2xx anywhere on the way (gateway, productpage's sidecar, reviews) or an error is a failure.
 * Bounded: it stops by itself after `maxMs`. `result` is the tally so far, for checks on the way.
 */
export function trafficLoop(mesh: Mesh, concurrency = 2, maxMs = 60000): { result: Readonly<LoopResult>; stop: () => Promise<LoopResult> } {
  const result: LoopResult = { requests: 0, failures: [] };
  const start = Date.now();
  const deadline = start + maxMs;
  let running = true;
  const worker = async (): Promise<void> => {
    while (running && Date.now() < deadline) {
      result.requests++;
      const r = await get(mesh.gatewayUrl(), { timeoutMs: 5000 }).catch((err: Error) => ({ status: 0, text: err.message }));
      if (r.status < 200 || r.status > 299) result.failures.push(`+${Date.now() - start} ms: ${r.status} ${failedHop(r.text)}`);
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    result,
    stop: async () => {
      running = false;
      await workers;
      return result;
    },
  };
}
