// The CA every replica shares, from Secrets in Mast's namespace. A `cacerts` Secret (Istio's name
// and keys: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem) plugs in the user's CA;
// otherwise Mast's own root lives in `mast-ca` (ca.crt, ca.key and a rotation's previous-ca.*
// keys, src/ca/root-rotation.ts), which the Lease holder creates when it is missing. Every replica
// reads both every couple of seconds, so all of them sign as the same CA and follow a rotation
// (`mast ca rotate`, or an edited cacerts); a change that does not load keeps the CA that did.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { hasPlugIn, newCaState, pluggedInCa, pluggedInMaterial, PLUG_IN_FILES, rotateCaState, selfSignedMaterial, type CaMaterial, type CaState, type MeshCa, type PlugInFiles, type RotateOptions } from '../../ca';
import type { Logger } from '../../model';

/** Istio's plug-in CA Secret (security/pkg/pki/ca/ca.go CACertsSecret). */
export const CACERTS_SECRET = 'cacerts';
/** Mast's own root. */
export const MAST_CA_SECRET = 'mast-ca';

const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;
const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function decoded(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function encoded(state: CaState): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

async function readSecret(api: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await api.readNamespacedSecret({ namespace, name });
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

export interface KubeCaOptions {
  /** Mast's namespace, where both Secrets live. */
  namespace: string;
  /** Only the Lease holder creates mast-ca. */
  isLeader(): boolean;
  log: Logger;
  /** How often the Secrets are read again (default 2 s). */
  pollMs?: number;
}

/** Keeps `mesh` on the CA the Secrets describe, until close(). */
export function watchKubeCa(kc: KubeConfig, mesh: MeshCa, o: KubeCaOptions): { close(): void } {
  const api = kc.makeApiClient(CoreV1Api);
  const { namespace, log } = o;
  let loaded: string | undefined;
  let said: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Logged once per distinct situation, not once per poll. */
  const say = (level: 'info' | 'warn' | 'error', why: string): void => {
    if (why !== said) log[level]({ namespace }, why);
    said = why;
  };

  const use = async (fingerprint: string, material: () => Promise<CaMaterial>): Promise<void> => {
    if (fingerprint === loaded) return;
    try {
      mesh.use(await material());
      said = undefined;
    } catch (err) {
      say('error', `the CA in ${namespace} does not load (${firstLine(err)}); ${loaded ? 'keeping the CA loaded before' : 'no workload certificates until it does'}`);
    }
    // A broken version is not tried again each poll, only when it changes.
    loaded = fingerprint;
  };

  const poll = async (): Promise<void> => {
    const plug = await readSecret(api, namespace, CACERTS_SECRET);
    const files: PlugInFiles = plug ? Object.fromEntries(Object.values(PLUG_IN_FILES).map((f) => [f, decoded(plug)[f]])) : {};
    if (plug && hasPlugIn(files)) {
      const where = `Secret ${namespace}/${CACERTS_SECRET}`;
      await use(`cacerts:${plug.metadata?.resourceVersion}`, async () => pluggedInMaterial(await pluggedInCa(files, where), where));
      return;
    }
    const own = await readSecret(api, namespace, MAST_CA_SECRET);
    const where = `Secret ${namespace}/${MAST_CA_SECRET}`;
    if (own) {
      await use(`mast-ca:${own.metadata?.resourceVersion}`, () => selfSignedMaterial(decoded(own), where));
      return;
    }
    if (!o.isLeader()) {
      say('info', `CA Secret ${namespace}/${MAST_CA_SECRET}: not there yet; waiting for the leader to create it`);
      return;
    }
    try {
      const created = await api.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: MAST_CA_SECRET, namespace, labels: { 'app.kubernetes.io/managed-by': 'mast' } },
          type: 'Opaque',
          data: encoded(await newCaState()),
        },
      });
      log.info({ secret: `${namespace}/${MAST_CA_SECRET}` }, `created Mast's root CA in Secret ${namespace}/${MAST_CA_SECRET}`);
      await use(`mast-ca:${created.metadata?.resourceVersion}`, () => selfSignedMaterial(decoded(created), where));
    } catch (err) {
      // 409: another leader made it first; read theirs on the next turn.
      if (statusOf(err) !== 409) throw err;
    }
  };

  const loop = (): void => {
    poll()
      .catch((err: unknown) => say('warn', `cannot read the CA Secrets in ${namespace} (${firstLine(err)}); retrying`))
      .finally(() => {
        if (closed) return;
        // Quickly until the CA is there, then at the poll interval.
        timer = setTimeout(loop, loaded ? o.pollMs ?? 2000 : 500);
      });
  };
  loop();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

/**
 * `mast ca rotate` in Kubernetes mode: a new root in mast-ca, the current one kept as previous-ca
 * for the overlap (root-rotation.ts). The update carries the read's resourceVersion, so a
 * concurrent change fails instead of being overwritten. Throws when a plugged-in CA is in use
 * (rotate it through cacerts), when mast-ca does not exist yet, or when a rotation is still in
 * its overlap.
 */
export async function rotateKubeCa(kc: KubeConfig, namespace: string, o: RotateOptions): Promise<CaState> {
  const api = kc.makeApiClient(CoreV1Api);
  if (await readSecret(api, namespace, CACERTS_SECRET)) throw new Error(`Secret ${namespace}/${CACERTS_SECRET} plugs in a CA: rotate it through its files, as Istio documents (both roots in root-cert.pem first)`);
  const secret = await readSecret(api, namespace, MAST_CA_SECRET);
  if (!secret) throw new Error(`no Secret ${namespace}/${MAST_CA_SECRET} yet: Mast's leader creates it when it starts`);
  const next = await rotateCaState(decoded(secret), o);
  await api.replaceNamespacedSecret({ namespace, name: MAST_CA_SECRET, body: { ...secret, data: encoded(next) } });
  return next;
}
