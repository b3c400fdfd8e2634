// The validating admission webhook: HTTPS (the apiserver calls webhooks only over TLS) with a
// certificate from Mast's own CA, answering admission.k8s.io/v1 AdmissionReviews on /validate.
// It is a server of its own, not a route on the admin server, because the admin port is plain
// HTTP for probes and Prometheus.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { RenewingCert, type ServingCertIssuer } from '../ca';
import { review, type AdmissionRequest, type AdmissionWorld } from './webhook-review';

export interface WebhookOptions {
  ca: ServingCertIssuer;
  /** Names in the serving certificate: the webhook Service's DNS names, and IPs for local tests. */
  dnsNames: string[];
  ips?: string[];
  /** The mesh as it is, and as it would be with the object under review. */
  world(): AdmissionWorld;
  log: FastifyBaseLogger;
}

export interface WebhookServer {
  /** Resolves with the port (0 picks a free one). */
  listen(host: string, port: number): Promise<number>;
  /** The root clients must trust: the ValidatingWebhookConfiguration's caBundle. */
  readonly caPem: string;
  close(): Promise<void>;
}

interface AdmissionReviewBody {
  apiVersion?: string;
  kind?: string;
  request?: AdmissionRequest;
}

export async function createWebhookServer(o: WebhookOptions): Promise<WebhookServer> {
  const cert = await RenewingCert.issue({
    ca: o.ca,
    dnsNames: o.dnsNames,
    ips: o.ips,
    onError: (err) => o.log.error({ err }, 'renewing the webhook certificate failed; retrying in a minute'),
  });
  const app: FastifyInstance = Fastify({
    https: { key: cert.current.keyPem, cert: cert.current.certPem },
    loggerInstance: o.log,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;

  app.post<{ Body: AdmissionReviewBody }>('/validate', async (req, reply) => {
    const request = req.body?.request;
    if (req.body?.kind !== 'AdmissionReview' || !request?.uid) {
      return reply.code(400).send({ error: 'expected an admission.k8s.io/v1 AdmissionReview with a request' });
    }
    const response = review(request, o.world());
    if (!response.allowed) o.log.info({ uid: request.uid, kind: request.kind?.kind, name: request.name, namespace: request.namespace }, response.status?.message ?? 'denied');
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
  });

  // New connections get the renewed certificate.
  cert.onRenew((next) => (app.server as import('node:https').Server).setSecureContext({ key: next.keyPem, cert: next.certPem }));

  return {
    caPem: cert.current.caPem,
    async listen(host, port) {
      await app.listen({ host, port });
      return (app.server.address() as { port: number }).port;
    },
    async close() {
      cert.stop();
      await app.close();
    },
  };
}
