// What Mast does in a cluster beyond serving plaintext xDS: replicas elect a leader on a Lease, and
// only the leader writes the status of Istio objects and manages the CA (its Secret, the webhook's
// caBundle, the mast-ca-root-cert ConfigMap proxies mount). Every replica serves xDS from its own informers, over TLS too with a certificate
// from the shared CA, and answers its own webhook calls.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger as PinoLogger } from 'pino';
import { createWebhookServer, type WebhookServer } from '../admin/webhook';
import type { MeshCa, RenewingCert } from '../ca';
import { injectCaBundle } from '../admin/webhook-ca-bundle';
import type { ConfigStore, MeshObject } from '../model';
import { LeaderElector, StatusWriter, type KindSink } from '../sources/kubernetes';
import { watchKubeCa } from '../sources/kubernetes/ca-secret';
import { keepRootCertConfigMap, type RootCertConfigMap } from '../sources/kubernetes/root-cert-configmap';
import type { XdsServer } from '../xds/server';
import { splitHostPort } from '../xds/listener';
import type { MeshFindings } from './findings';
import { serveXdsTls } from './access';

export interface ClusterOptions {
  /** Mast's own namespace: its Lease and CA Secret live there. */
  namespace: string;
  /** This replica's name in the Lease (its Pod name). */
  identity: string;
  /** Off for a single replica that should do everything itself. */
  leaderElect: boolean;
  leaseDurationMs: number;
  renewMs: number;
  /** DNS names of Mast's Service: the names in the webhook's and xDS's serving certificates. */
  serviceDnsNames: string[];
  webhook?: {
    /** HOST:PORT for the HTTPS admission webhook. */
    address: string;
    /** The ValidatingWebhookConfiguration whose caBundle the leader keeps in step with the CA. */
    configName: string;
  };
  /** HOST:PORT for xDS over TLS (Istio's 15012). */
  xdsTlsAddress?: string;
  /** Read the CA from the cacerts and mast-ca Secrets (false when `--ca-dir` gives it). */
  caFromSecrets: boolean;
}

export const LEASE_NAME = 'mast-leader';

export interface ClusterDuties {
  /** Hand to the Kubernetes source: the status writer follows every object. */
  observer: KindSink;
  /**
   * Starts the election, keeps `ca` on the CA in the Secrets, and starts the webhook and xDS over
   * TLS (on `xds`) once the CA is there; call once the source has listed everything.
   */
  start(xds: XdsServer, ca: MeshCa): Promise<void>;
  readonly isLeader: boolean;
  close(): Promise<void>;
}

export function clusterDuties(kc: KubeConfig, store: ConfigStore, findings: MeshFindings, o: ClusterOptions, log: PinoLogger): ClusterDuties {
  const status = new StatusWriter(kc, log.child({ component: 'status' }));
  findings.on('change', (all) => status.setFindings(all));
  const elector = o.leaderElect
    ? new LeaderElector({ kc, namespace: o.namespace, name: LEASE_NAME, identity: o.identity, leaseDurationMs: o.leaseDurationMs, renewMs: o.renewMs, log: log.child({ component: 'leader' }) })
    : undefined;
  const isLeader = (): boolean => !elector || elector.isLeader;
  let webhook: WebhookServer | undefined;
  let xdsCert: RenewingCert | undefined;
  let caWatch: { close(): void } | undefined;
  let rootCertConfigMap: RootCertConfigMap | undefined;
  /** Wakes a start() still waiting for the CA when the replica shuts down. */
  const closing: (() => void)[] = [];
  let closed = false;

  const keepCaBundle = async (): Promise<void> => {
    if (!o.webhook || !webhook || !isLeader()) return;
    try {
      if (await injectCaBundle(kc, o.webhook.configName, webhook.caPem)) log.info({ config: o.webhook.configName }, 'webhook caBundle set to Mast\'s CA');
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err), config: o.webhook.configName }, 'could not set the webhook caBundle');
    }
  };

  const lead = (): void => {
    status.setFindings(findings.current());
    status.start();
    void keepCaBundle();
    void rootCertConfigMap?.sync();
  };
  elector?.on('started', lead);
  elector?.on('stopped', () => status.stop());

  return {
    observer: status,
    get isLeader() {
      return isLeader();
    },
    async start(xds, ca) {
      if (elector) elector.start();
      else lead();
      // Every replica follows the CA: each issues workload certificates for its own proxies.
      if (o.caFromSecrets) caWatch = watchKubeCa(kc, ca, { namespace: o.namespace, isLeader, log: log.child({ component: 'ca' }) });
      // The leader publishes the whole bundle for Pods to mount (ca.crt of mast-ca is the newest root alone).
      rootCertConfigMap = keepRootCertConfigMap(kc, ca, { namespace: o.namespace, isLeader, log: log.child({ component: 'ca' }) });
      if (!o.webhook && !o.xdsTlsAddress) return;
      await Promise.race([ca.ready, new Promise<void>((resolve) => closing.push(resolve))]);
      if (closed) return;
      if (o.xdsTlsAddress) xdsCert = await serveXdsTls(xds, ca, o.xdsTlsAddress, o.serviceDnsNames, log);
      if (!o.webhook) return;
      const world = () => ({ snapshot: store.snapshot(), preview: (object: MeshObject) => store.preview(object) });
      webhook = await createWebhookServer({ ca, dnsNames: o.serviceDnsNames, world, log: log.child({ component: 'webhook' }) });
      const { host, port } = splitHostPort(o.webhook.address);
      const bound = await webhook.listen(host, port);
      log.info({ webhook: `${host}:${bound}` }, 'admission webhook serving');
      await keepCaBundle();
    },
    async close() {
      closed = true;
      caWatch?.close();
      rootCertConfigMap?.close();
      for (const wake of closing) wake();
      status.stop();
      await status.idle();
      await elector?.stop();
      await webhook?.close();
      xdsCert?.stop();
    },
  };
}
