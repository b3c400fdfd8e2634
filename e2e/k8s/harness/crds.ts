// Installs CustomResourceDefinitions from YAML files (e.g. the Istio-compatible CRDs under
// manifests/) into a test API server, and waits until the API server serves them.
import { ApiextensionsV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../../harness/net';

export interface ApplyCrdsOptions {
  /** Descend into subdirectories (default true). */
  recursive?: boolean;
  /** How long to wait for every CRD to be Established (default 30 s). */
  timeoutMs?: number;
  /** The server-side-apply field manager (default mast-e2e). */
  fieldManager?: string;
}

/** The `.yaml` / `.yml` files under `dir`, sorted, so the order is the same on every machine. */
export function yamlFiles(dir: string, recursive = true): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) {
      if (recursive) out.push(...yamlFiles(p, true));
    } else if (/\.ya?ml$/.test(entry)) out.push(p);
  }
  return out;
}

/** Every CustomResourceDefinition document in the given files (other kinds are skipped). */
export function readCrds(files: string[]): V1CustomResourceDefinition[] {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as KubernetesObject | null;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj as V1CustomResourceDefinition);
    }
  }
  return crds;
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/**
 * Server-side applies every CRD found in the YAML files under `dir` (create or update, so it can
 * run again) and waits until each is Established. Resolves with the CRD names, in file order.
 */
export async function applyCrds(kc: KubeConfig, dir: string, o: ApplyCrdsOptions = {}): Promise<string[]> {
  const crds = readCrds(yamlFiles(dir, o.recursive ?? true));
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const body = { ...modelKeys(crd), apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
    delete (body as { status?: unknown }).status;
    try {
      await objects.patch(body, undefined, undefined, o.fieldManager ?? 'mast-e2e', true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      throw new Error(`applying CRD ${crd.metadata?.name}: ${(err as Error).message}${body ? ` ${typeof body === 'string' ? body : JSON.stringify(body)}` : ''}`);
    }
  }
  const names = crds.map((c) => c.metadata!.name!);
  for (const name of names) {
    await waitFor(async () => isEstablished(await ext.readCustomResourceDefinition({ name })), o.timeoutMs ?? 30_000, `CRD ${name} to be Established`, 100);
  }
  return names;
}

/**
 * The YAML with client-node's model names: its serializer maps `x_kubernetes_preserve_unknown_fields`
 * to `x-kubernetes-preserve-unknown-fields` on the wire and silently drops the wire spelling, so a
 * CRD read from YAML would lose every `x-kubernetes-*` marker (and the API server then prunes the
 * objects' fields).
 */
function modelKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(modelKeys) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.startsWith('x-kubernetes-') ? k.replaceAll('-', '_') : k, modelKeys(v)]),
  ) as T;
}
