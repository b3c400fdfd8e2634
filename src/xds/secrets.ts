// SDS over the proxy's ADS stream, as Istio's agent serves it to Envoy (pkg/istio-agent/sds):
// `default`, the tls_certificate of the proxy's own identity (its chain and key), and `ROOTCA`,
// the validation_context trusting every current root. A proxy's view of the Secret type is
// exactly these two for its identity, so a proxy can never be sent another identity's key.
// Each identity's map is built and encoded once per certificate and bundle, and shared by the
// proxies of that identity (the same map object until either changes, which SotW's list cache and
// delta's part diff key on); ROOTCA is encoded once for everyone. A renewal is pushed to that
// identity's streams, a bundle change to all, without the proxies asking.
import { createHash } from 'node:crypto';
import type { MeshCa, WorkloadCert, WorkloadCerts, WorkloadIdentity } from '../ca';
import { identityKey } from '../ca';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET } from '../translate/core';
import type { EnvoyJson, NamedResource, Proxy } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import type { ProxyView } from './cache';
import { encodeAny } from './encode';
import { MAST_LIMITS, validateResource } from './validate';
import type { EncodedResource } from './wire';


interface Logger {
  error(obj: object, msg: string): void;
}

interface Built {
  resource: EncodedResource;
  /** What /debug/config_dump shows: the resource with any private key replaced by `[redacted]`. */
  debug: NamedResource;
}

interface IdentitySecrets {
  cert: WorkloadCert;
  roots: Built | undefined;
  map: ReadonlyMap<string, EncodedResource>;
  debug: NamedResource[];
}

const REDACTED = '[redacted]';
const NONE: ReadonlyMap<string, EncodedResource> = new Map();
const b64 = (text: string): string => Buffer.from(text).toString('base64');

export class SdsSecrets {
  /** Each stream's identity, for as long as it asks for secrets. */
  private readonly streams = new Map<string, WorkloadIdentity>();
  private readonly byIdentity = new Map<string, IdentitySecrets>();
  private roots: Built | undefined;
  private listener: ((key: string | undefined) => void) | undefined;

  constructor(private readonly ca: MeshCa, private readonly certs: WorkloadCerts, private readonly log: Logger) {
    certs.onIssued((key) => {
      this.byIdentity.delete(key);
      this.listener?.(key);
    });
    ca.onChange((change) => {
      if (!change.bundle) return;
      this.roots = undefined;
      this.byIdentity.clear();
      this.listener?.(undefined);
    });
  }

  /**
   * Told which streams to push to: one identity's (its certificate was issued or renewed), or
   * every stream's (`undefined`: the bundle changed).
   */
  onChange(listener: (key: string | undefined) => void): void {
    this.listener = listener;
  }

  /** The identity key a stream was bound to, if it asks for secrets. */
  identityOf(streamId: string): string | undefined {
    const id = this.streams.get(streamId);
    return id && identityKey(id);
  }

  /**
   * The secrets stream `streamId` may have, for the identity it now speaks for: `default` and
   * `ROOTCA`, once the CA has issued them (until then none; they are pushed when issued). The
   * stream's identity may change (its Pod appeared): the old identity is released.
   */
  secretsFor(streamId: string, id: WorkloadIdentity): ReadonlyMap<string, EncodedResource> {
    const key = identityKey(id);
    const bound = this.streams.get(streamId);
    if (!bound || identityKey(bound) !== key) {
      if (bound) this.certs.release(bound);
      this.streams.set(streamId, { namespace: id.namespace, serviceAccount: id.serviceAccount });
      this.certs.acquire(id);
    }
    return this.built(key)?.map ?? NONE;
  }

  /**
   * `view` with the secrets of stream `streamId` as its Secret type, `proxy` being who the stream
   * speaks for now; /debug/config_dump's JSON gains them as `secrets`, keys redacted.
   */
  viewFor(streamId: string, proxy: Proxy, view: ProxyView): ProxyView {
    const secrets = this.secretsFor(streamId, proxy);
    const resources = new Map(view.resources);
    resources.set(TYPE_URLS.secret, secrets);
    return { generation: view.generation, resources, json: () => Object.assign(view.json(), { secrets: this.debugFor(streamId) }) };
  }

  /** The secrets as /debug/config_dump shows them: private keys `[redacted]`. */
  debugFor(streamId: string): NamedResource[] {
    const key = this.identityOf(streamId);
    return (key && this.built(key)?.debug) || [];
  }

  /** The stream is gone: its identity's certificate goes with the identity's last stream. */
  release(streamId: string): void {
    const id = this.streams.get(streamId);
    if (!id) return;
    this.streams.delete(streamId);
    this.certs.release(id);
  }

  private built(key: string): IdentitySecrets | undefined {
    const cert = this.certs.current(key);
    if (!cert) return undefined;
    const roots = this.rootsSecret();
    const have = this.byIdentity.get(key);
    if (have && have.cert === cert && have.roots === roots) return have;
    const own = this.build(WORKLOAD_CERT_SECRET, {
      certificate_chain: { inline_bytes: b64(cert.chainPem) },
      private_key: { inline_bytes: b64(cert.key.reveal()) },
    }, { certificate_chain: { inline_bytes: b64(cert.chainPem) }, private_key: { inline_bytes: REDACTED } });
    const map = new Map<string, EncodedResource>();
    const debug: NamedResource[] = [];
    for (const b of [own, roots]) {
      if (!b) continue;
      map.set(b.resource.name, b.resource);
      debug.push(b.debug);
    }
    const secrets = { cert, roots, map, debug };
    this.byIdentity.set(key, secrets);
    return secrets;
  }

  private rootsSecret(): Built | undefined {
    if (this.roots) return this.roots;
    const pem = this.ca.bundlePem;
    if (!pem) return undefined;
    const context = { trusted_ca: { inline_bytes: b64(pem) } };
    this.roots = this.build(ROOT_CA_SECRET, undefined, undefined, context);
    return this.roots;
  }

  private build(name: string, tlsCertificate: EnvoyJson | undefined, redacted: EnvoyJson | undefined, validationContext?: EnvoyJson): Built | undefined {
    const json: EnvoyJson = { name, ...(tlsCertificate ? { tls_certificate: tlsCertificate } : {}), ...(validationContext ? { validation_context: validationContext } : {}) };
    const violations = validateResource(TYPE_URLS.secret, json, MAST_LIMITS);
    if (violations.length > 0) {
      // Paths and rules only: the values would include the key.
      this.log.error({ secret: name, violations: violations.map((v) => `${v.path}: ${v.rule}`) }, `SDS secret ${name} would be rejected by Envoy; not served`);
      return undefined;
    }
    const any = encodeAny(TYPE_URLS.secret, json);
    const version = createHash('sha256').update(any).digest('base64url').slice(0, 16);
    const debug = { name, json: { ...json, ...(redacted ? { tls_certificate: redacted } : {}) } };
    return { resource: { name, any, version }, debug };
  }
}
