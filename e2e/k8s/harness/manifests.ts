// Applies manifests/ to a test API server the way `kubectl apply -k manifests/` would, without
// needing kubectl: follows kustomization.yaml `resources` (files and folders with their own
// kustomization.yaml) and server-side applies each document.
//
// Documents go through client-node's loadAllYaml, which turns them into its typed models: its
// serializer writes only the fields those models know, under their wire names, so a plain object
// (as `yaml` parses it) would lose `x-kubernetes-preserve-unknown-fields` and with it every
// field of an open spec.
import { ApiextensionsV1Api, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { waitFor } from '../../harness/net';

export const MANIFESTS_DIR = path.resolve(__dirname, '..', '..', '..', 'manifests');

/** The objects a kustomization lists, in its order. */
export function kustomizeObjects(dir = MANIFESTS_DIR): KubernetesObject[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  return (k.resources ?? []).flatMap((r) => {
    const p = path.join(dir, r);
    if (statSync(p).isDirectory()) return kustomizeObjects(p);
    return (loadAllYaml(readFileSync(p, 'utf8')) as (KubernetesObject | null)[]).filter((o): o is KubernetesObject => !!o);
  });
}

export interface ApplyOptions {
  /** Which objects to send (default all). */
  select?: (o: KubernetesObject) => boolean;
  /** Which are sent with dryRun=All (the Deployment: there is no scheduler or kubelet to run it). */
  dryRun?: (o: KubernetesObject) => boolean;
}

export const describeObject = (o: KubernetesObject): string => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/**
 * Server-side applies the selected objects, then waits for the CRDs among them to be Established;
 * throws with the apiserver's reason for the first one refused. Resolves with what was sent.
 */
export async function applyManifests(kc: KubeConfig, o: ApplyOptions = {}): Promise<{ applied: string[]; dryRun: string[] }> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const result = { applied: [] as string[], dryRun: [] as string[] };
  const crds: string[] = [];
  for (const obj of kustomizeObjects().filter(o.select ?? (() => true))) {
    const dry = o.dryRun?.(obj) ?? false;
    try {
      await api.patch(obj, undefined, dry ? 'All' : undefined, 'mast-e2e', true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      throw new Error(`applying ${describeObject(obj)}: ${(err as Error).message} ${typeof body === 'string' ? body : JSON.stringify(body ?? '')}`);
    }
    (dry ? result.dryRun : result.applied).push(describeObject(obj));
    if (obj.kind === 'CustomResourceDefinition' && !dry) crds.push(obj.metadata!.name!);
  }
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const name of crds) {
    await waitFor(async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
    }, 30_000, `CRD ${name} to be Established`, 100);
  }
  return result;
}

export const isCrd = (o: KubernetesObject): boolean => o.kind === 'CustomResourceDefinition';
