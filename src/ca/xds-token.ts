// Bootstrap tokens for file mode, where no API server can vouch for a proxy: Mast signs a JWT
// (ES256, audience `mast-xds`) naming one workload's identity, `mast bootstrap` embeds it in the
// proxy's bootstrap, and Mast accepts its own tokens on the xDS stream (src/xds/authn.ts). The
// claims follow Kubernetes' projected service-account tokens (`kubernetes.io.namespace`,
// `.serviceaccount.name`, `.pod.name`; pkg/serviceaccount/claims.go), so a token reads the same
// whichever mode issued it; `mast.ips` narrows it to the proxy's addresses.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, jwtVerify } from 'jose';
import type { ProvenIdentity, Refusal, XdsAuthenticator } from '../xds/authn';
import type { ProxyRole } from '../translate/types';

export const XDS_TOKEN_AUDIENCE = 'mast-xds';
export const XDS_TOKEN_ISSUER = 'mast';
/** The signing key's file in Mast's state directory (PKCS#8 PEM, owner-only). */
export const XDS_TOKEN_KEY_FILE = 'xds-token-key.pem';

/** Who a token speaks for: a workload identity and the one Pod (by name, and by IP if given). */
export interface TokenIdentity {
  namespace: string;
  serviceAccount: string;
  pod: string;
  ips?: string[];
  /** What the proxy is (`sidecar`, `router`): a token for a sidecar cannot claim to be a gateway and be sent gateway credentials. */
  role?: ProxyRole;
}

interface Claims {
  'kubernetes.io'?: { namespace?: unknown; serviceaccount?: { name?: unknown }; pod?: { name?: unknown } };
  mast?: { ips?: unknown; role?: unknown };
}

/**
 * The key in `stateDir` (made on first use, 0600, by whichever of `mast serve` and `mast
 * bootstrap` comes first; `wx` so two at once cannot both write one). Throws when the file is
 * readable by group or others: it can mint any proxy's identity.
 */
function loadOrCreateKey(stateDir: string): KeyObject {
  const file = path.join(stateDir, XDS_TOKEN_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    try {
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} can be read by others (mode ${mode.toString(8)}): it signs xDS tokens for any proxy; chmod 600 it`);
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`${file} is not an ECDSA P-256 key`);
  return key;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Mast's token key: signs bootstrap tokens and, as an XdsAuthenticator, accepts them. */
export class XdsTokenKey implements XdsAuthenticator {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    /** RFC 7638 thumbprint, the tokens' `kid`: which key signed them once there is more than one. */
    readonly keyId: string,
  ) {}

  static async open(stateDir: string): Promise<XdsTokenKey> {
    const privateKey = loadOrCreateKey(stateDir);
    const publicKey = createPublicKey(privateKey);
    return new XdsTokenKey(privateKey, publicKey, await calculateJwkThumbprint(await exportJWK(publicKey)));
  }

  /** A token for `id`, valid for `ttlMs` from now. */
  async sign(id: TokenIdentity, ttlMs: number): Promise<string> {
    if (!(ttlMs > 0)) throw new Error(`a token's lifetime must be positive (got ${ttlMs} ms)`);
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      'kubernetes.io': { namespace: id.namespace, serviceaccount: { name: id.serviceAccount }, pod: { name: id.pod } },
      ...(id.ips?.length || id.role ? { mast: { ...(id.ips?.length ? { ips: id.ips } : {}), ...(id.role ? { role: id.role } : {}) } } : {}),
    };
    return new SignJWT(claims as Record<string, unknown>)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.keyId })
      .setIssuer(XDS_TOKEN_ISSUER)
      .setAudience(XDS_TOKEN_AUDIENCE)
      .setSubject(`system:serviceaccount:${id.namespace}:${id.serviceAccount}`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + Math.ceil(ttlMs / 1000))
      .sign(this.privateKey);
  }

  /**
   * The identity a token proves, or why it proves none: only ES256 tokens this key signed, for
   * `mast-xds`, unexpired, naming a namespace, service account and Pod, are accepted.
   */
  async authenticate(token: string | undefined): Promise<ProvenIdentity | Refusal> {
    const denied = (why: string): Refusal => ({ refused: why, code: 'denied' });
    if (token === undefined) return denied('no token (authorization: Bearer ...) was sent');
    let payload: Claims;
    try {
      ({ payload } = await jwtVerify<Claims>(token, this.publicKey, {
        algorithms: ['ES256'],
        audience: XDS_TOKEN_AUDIENCE,
        issuer: XDS_TOKEN_ISSUER,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      return denied(`the token is not a valid Mast token: ${err instanceof Error ? err.message : String(err)}`);
    }
    const k8s = payload['kubernetes.io'];
    const namespace = text(k8s?.namespace);
    const serviceAccount = text(k8s?.serviceaccount?.name);
    const pod = text(k8s?.pod?.name);
    if (!namespace || !serviceAccount || !pod) return denied('the token names no namespace, service account and Pod');
    const ips = payload.mast?.ips;
    if (ips !== undefined && !(Array.isArray(ips) && ips.every((ip) => typeof ip === 'string'))) return denied('the token\'s mast.ips is not a list of addresses');
    const role = payload.mast?.role;
    if (role !== undefined && role !== 'sidecar' && role !== 'router') return denied('the token\'s mast.role is neither sidecar nor router');
    return { namespace, serviceAccount, pod, ...(ips ? { ips: ips as string[] } : {}), ...(role ? { role } : {}), by: 'Mast token' };
  }
}
