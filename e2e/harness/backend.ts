// Where a test mesh's configuration lives, and how a test changes it: a config dir (file mode) or
// an API server (Kubernetes mode, e2e/k8s/harness/backend.ts). The scenario suites talk only to
// this, so the same suite runs against either source.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface ConfigBackend {
  /** The `mast serve` flags that choose this source. */
  readonly mastArgs: string[];
  /** Mast also serves xDS over TLS, as in a cluster (its certificate comes from the CA Secret). */
  readonly xdsTls?: boolean;
  /**
   * First two octets of every mesh address for a mesh octet: loopback (127.X) for files; pod IPs
   * in EndpointSlices may not be loopback, so Kubernetes mode uses 10.X (made local by
   * e2e/k8s/netns.sh).
   */
  addressPrefix(octet: number): string;
  /** The mesh's starting objects, in place as a running cluster would hold them, before Mast starts. */
  load(files: { file: string; text: string }[]): Promise<void>;
  /** `kubectl apply -f`: creates or replaces each object in `yaml`. */
  apply(yaml: string): Promise<void>;
  /** `kubectl delete -f`: removes the objects `yaml` names. */
  delete(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

export type BackendFactory = (configDir: string) => Promise<ConfigBackend>;

/** The documents of `yaml` that name an object, each as it was written. */
export function objectsOf(yaml: string): { kind: string; name: string; namespace: string; text: string }[] {
  return parseAllDocuments(yaml).flatMap((doc) => {
    const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (!obj?.kind || !obj.metadata?.name) return [];
    const text = `${yaml.slice(doc.range[0], doc.range[2]).replace(/^---\n/, '').trimEnd()}\n`;
    return [{ kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default', text }];
  });
}

/**
 * The config dir: each applied object goes to a file named after it, so applying an object again
 * replaces it, as applying Istio's task YAML one file after another does.
 */
export const fileBackend: BackendFactory = async (configDir) => {
  const fileOf = (o: { kind: string; namespace: string; name: string }): string => path.join(configDir, `${o.kind.toLowerCase()}.${o.namespace}.${o.name}.yaml`);
  return {
    // Mast's root CA beside the config dir (config/ and state/ of one work dir), never in the
    // home directory every test run would share.
    mastArgs: ['--config-dir', configDir, '--state-dir', path.join(path.dirname(configDir), 'state')],
    addressPrefix: (octet) => `127.${octet}`,
    async load(files) {
      for (const { file, text } of files) writeFileSync(path.join(configDir, file), text);
    },
    async apply(yaml) {
      for (const o of objectsOf(yaml)) writeFileSync(fileOf(o), o.text);
    },
    async delete(yaml) {
      for (const o of objectsOf(yaml)) rmSync(fileOf(o), { force: true });
    },
    async stop() {},
  };
};
