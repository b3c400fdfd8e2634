// The CA every replica shares, kept in a Secret in Mast's namespace: the Lease holder creates it
// when it is missing; the other replicas wait for it and adopt it. One root for all replicas is
// what lets one caBundle in the webhook configuration trust whichever replica the apiserver calls.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertificateAuthority } from '../../ca';
import type { Logger } from '../../model';

const CERT_KEY = 'ca.crt';
const KEY_KEY = 'ca.key';
const POLL_MS = 1000;

const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;

export async function sharedCa(kc: KubeConfig, namespace: string, name: string, isLeader: () => boolean, closed: () => boolean, log: Logger): Promise<CertificateAuthority> {
  const api = kc.makeApiClient(CoreV1Api);
  let waiting: string | undefined;
  const waitingFor = (why: string): void => {
    if (why !== waiting) log.info({ secret: `${namespace}/${name}` }, `CA Secret ${namespace}/${name}: ${why}`);
    waiting = why;
  };
  for (;;) {
    try {
      const secret = await api.readNamespacedSecret({ namespace, name });
      const cert = secret.data?.[CERT_KEY];
      const key = secret.data?.[KEY_KEY];
      if (!cert || !key) throw new Error(`Secret ${namespace}/${name} lacks ${CERT_KEY} or ${KEY_KEY}`);
      const ca = await CertificateAuthority.fromPem({ certPem: Buffer.from(cert, 'base64').toString(), keyPem: Buffer.from(key, 'base64').toString() });
      log.info({ secret: `${namespace}/${name}`, subject: ca.cert.subject, notAfter: ca.cert.notAfter }, 'using the shared CA');
      return ca;
    } catch (err) {
      if (statusOf(err) !== 404) {
        waitingFor(`cannot read it (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); retrying`);
      } else if (isLeader()) {
        const ca = await CertificateAuthority.create();
        const pem = await ca.toPem();
        try {
          await api.createNamespacedSecret({
            namespace,
            body: {
              metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'mast' } },
              type: 'Opaque',
              data: { [CERT_KEY]: Buffer.from(pem.certPem).toString('base64'), [KEY_KEY]: Buffer.from(pem.keyPem).toString('base64') },
            },
          });
          log.info({ secret: `${namespace}/${name}` }, 'created the shared CA');
          return ca;
        } catch (createErr) {
          // 409: another leader made it first; read theirs on the next turn.
          if (statusOf(createErr) !== 409) waitingFor(`cannot create it (${String(createErr).split('\n')[0]}); retrying`);
        }
      } else {
        waitingFor('not there yet; waiting for the leader to create it');
      }
    }
    if (closed()) throw new Error('closed while waiting for the CA Secret');
    await sleep(POLL_MS);
  }
}
