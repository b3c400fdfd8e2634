// Puts Mast's CA into its ValidatingWebhookConfiguration, so the apiserver trusts the webhook's
// certificate. The manifests ship the configuration without a caBundle because the CA is made
// at run time; only the Lease holder calls this (replicas share the CA through its Secret).
import { AdmissionregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** Sets caBundle on every webhook of the named configuration; a no-op when it is already there. */
export async function injectCaBundle(kc: KubeConfig, configName: string, caPem: string): Promise<boolean> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const config = await api.readValidatingWebhookConfiguration({ name: configName });
  const caBundle = Buffer.from(caPem).toString('base64');
  const webhooks = config.webhooks ?? [];
  if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return false;
  // A JSON patch guarded by resourceVersion: a concurrent edit of the configuration fails the
  // write (409) instead of being overwritten.
  const patch = [
    { op: 'test', path: '/metadata/resourceVersion', value: config.metadata?.resourceVersion },
    ...webhooks.map((_w, i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle })),
  ];
  await api.patchValidatingWebhookConfiguration({ name: configName, body: patch });
  return true;
}
