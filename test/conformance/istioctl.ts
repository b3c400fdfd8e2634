// `istioctl validate` as an oracle: Istio's own verdict on many objects at once.
//
// istioctl validate reads every document of a file, checks each Istio object with the same code
// Istio's webhook runs (a strict protobuf decode of the spec, then pkg/config/validation), and
// prints each finding prefixed with the object's `Kind/namespace/name:`, warnings first
// ("<file>" has warnings: ...) and errors after ("Error: N errors occurred: ..."). It needs no
// cluster. Objects of one batch therefore carry distinct names, so every line is attributed to
// exactly one object.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** The istioctl binary `make istioctl` builds (or ISTIOCTL_BIN), or undefined when it is not there. */
export function istioctlPath(): string | undefined {
  const bin = process.env.ISTIOCTL_BIN || execFileSync(path.join(ROOT, 'tools/istio/build.sh'), ['--bin'], { encoding: 'utf8' }).trim();
  return existsSync(bin) ? bin : undefined;
}

export interface IstioVerdict {
  errors: string[];
  warnings: string[];
}

export type Raw = Record<string, unknown>;

/** `Kind/namespace/name`, as istioctl prefixes the findings of an object. */
export function istioKey(o: Raw): string {
  const meta = (o.metadata ?? {}) as Raw;
  return `${String(o.kind)}/${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
}

const FINDING = /^\t\* ([A-Za-z]+\/[^/]*\/[^:]*): (.*)$/;

/**
 * Istio's findings for each object, keyed by istioKey. `objects` must have distinct keys. Runs
 * one `istioctl validate` over a file of all of them, with no kubeconfig and an empty HOME.
 */
export function istioValidate(bin: string, objects: Raw[]): Map<string, IstioVerdict> {
  const verdicts = new Map<string, IstioVerdict>(objects.map((o) => [istioKey(o), { errors: [], warnings: [] }]));
  if (verdicts.size !== objects.length) throw new Error('istioValidate: objects of one batch need distinct Kind/namespace/name');
  const dir = mkdtempSync(path.join(tmpdir(), 'mast-istioctl-'));
  try {
    const file = path.join(dir, 'batch.yaml');
    // Each document as JSON (which is YAML), so that no string reads as something else in
    // Kubernetes' YAML 1.1 (`n` as false, a `<<` key as a merge).
    writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir };
    const run = spawnSync(bin, ['validate', '-f', file], { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (run.error) throw run.error;
    const output = `${run.stdout}\n${run.stderr}`;
    const undecoded = /failed to decode file.*/.exec(output);
    if (undecoded) throw new Error(`istioctl could not read the batch: ${undecoded[0]}`);
    let section: 'warnings' | 'errors' = 'warnings';
    let last: string[] | undefined;
    for (const line of output.split('\n')) {
      if (/^Error: /.test(line)) section = 'errors';
      const m = FINDING.exec(line);
      if (m) {
        const verdict = verdicts.get(m[1] as string);
        if (!verdict) throw new Error(`istioctl reported on an object not in the batch: ${line}`);
        last = verdict[section];
        last.push(m[2] as string);
      } else if (last && line.startsWith('\t') && !line.startsWith('\t*')) {
        last[last.length - 1] += `\n${line.trim()}`; // a message that spans lines
      }
    }
    const errors = [...verdicts.values()].filter((v) => v.errors.length).length;
    if ((run.status === 0) !== (errors === 0)) throw new Error(`istioctl exited ${run.status} but ${errors} objects had errors:\n${output.slice(0, 2000)}`);
    return verdicts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
