// Where a test mesh's configuration lives, and how a test changes it: a config dir (file mode) or
// an API server (Kubernetes mode, e2e/k8s/harness/backend.ts). The scenario suites talk only to
// this, so the same suite runs against either source.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { BootstrapOptions } from '../../src/bootstrap/bootstrap';
import { BUNDLE_SDS_FILE } from '../../src/ca/bundle-file';
import { XdsTokenKey } from '../../src/ca/xds-token';

/** The Pod an Envoy is the sidecar or gateway of: who it proves to be. */
export interface ProxyPod {
  name: string;
  namespace: string;
  ip: string;
  serviceAccount: string;
  /** What its Envoy is: a file-mode token names it, as `mast bootstrap --bootstrap-token` does. */
  role?: 'sidecar' | 'router';
}

/** What an Envoy's bootstrap needs to reach Mast over TLS and prove its Pod's identity. */
export type ProxyAuth = Required<Pick<BootstrapOptions, 'xdsCa' | 'xdsServerName'>> & Pick<BootstrapOptions, 'token' | 'tokenFile'>;

/** The DNS name in Mast's xDS certificate: `mast serve --service`'s default, in both modes. */
export const MAST_SERVICE_NAME = 'mast.mast-system.svc';

export interface ConfigBackend {
  /** The `mast serve` flags that choose this source. */
  readonly mastArgs: string[];
  /**
   * Credentials for `pod`'s Envoy (files go in `dir`): Mast's root and a token, one Mast signed
   * (file mode) or the Pod's projected service-account token from the API server (Kubernetes).
   */
  proxyAuth(pod: ProxyPod, dir: string): Promise<ProxyAuth>;
  /** The bearer token /debug/* needs (Kubernetes mode), if any. */
  readonly debugToken?: string;
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
  const stateDir = path.join(path.dirname(configDir), 'state');
  return {
    // Mast's root CA beside the config dir (config/ and state/ of one work dir), never in the
    // home directory every test run would share.
    mastArgs: ['--config-dir', configDir, '--state-dir', stateDir],
    // What `mast bootstrap --bootstrap-token --state-dir STATE --xds-ca STATE/root-cert.sds.yaml`
    // embeds: Mast's roots over file-based SDS, read again when Mast rewrites root-cert.pem.
    async proxyAuth(pod) {
      const key = await XdsTokenKey.open(stateDir);
      const token = await key.sign({ namespace: pod.namespace, serviceAccount: pod.serviceAccount, pod: pod.name, ips: [pod.ip], role: pod.role }, 24 * 3600_000);
      return { xdsCa: path.join(stateDir, BUNDLE_SDS_FILE), xdsServerName: MAST_SERVICE_NAME, token };
    },
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
