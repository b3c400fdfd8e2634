// Who may speak xDS and read /debug, by mode. Kubernetes mode asks the API server: a proxy's
// projected service-account token (TokenReview, audience `--xds-token-audience`) and a person's
// token for /debug (TokenReview and SubjectAccessReview). File mode has no API server: proxies
// carry tokens Mast signed (src/ca/xds-token.ts), and /debug is guarded by where it listens.
import type { KubeConfig } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import { RenewingCert, type ServingCertIssuer } from '../ca';
import { XdsTokenKey } from '../ca/xds-token';
import type { XdsAuthenticator } from '../xds/authn';
import type { XdsServer } from '../xds/server';
import { tlsCredentials } from '../xds/tls';
import { debugAccess, type DebugAccess } from './debug-access';
import { TokenReviewer, tokenReviewAuthenticator } from './token-review';

/** Istio's audience for a sidecar's token (its `istio-token` projection), Mast's default. */
export const DEFAULT_XDS_TOKEN_AUDIENCE = 'istio-ca';

export interface Access {
  authenticator: XdsAuthenticator;
  /** Kubernetes mode only. */
  debugAccess?: DebugAccess;
}

/** `kc` for Kubernetes mode; otherwise the token key in `stateDir` (made on first start). */
export async function accessFor(kc: KubeConfig | undefined, o: { stateDir: string; audience?: string }): Promise<Access> {
  if (!kc) return { authenticator: await XdsTokenKey.open(o.stateDir) };
  const reviewer = new TokenReviewer(kc);
  return { authenticator: tokenReviewAuthenticator(reviewer, o.audience ?? DEFAULT_XDS_TOKEN_AUDIENCE), debugAccess: debugAccess(kc, reviewer) };
}

/** Whether `host` (an admin or xDS bind address) is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * xDS over TLS on `address`, authenticated: a serving certificate for Mast's Service names from
 * the mesh's CA, renewed before it expires (the certificate is returned, to be stopped on close).
 */
export async function serveXdsTls(xds: XdsServer, ca: ServingCertIssuer, address: string, dnsNames: readonly string[], log: PinoLogger): Promise<RenewingCert> {
  const cert = await RenewingCert.issue({ ca, dnsNames, onError: (err) => log.error({ err }, 'renewing the xDS certificate failed; retrying in a minute') });
  try {
    const port = await xds.listen(address, tlsCredentials(cert));
    log.info({ xdsTls: address, port, names: dnsNames }, 'xDS over TLS serving');
  } catch (err) {
    cert.stop();
    throw err;
  }
  return cert;
}
