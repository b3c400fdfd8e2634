// SDS over the proxy's ADS stream, as Istio serves it (pkg/istio-agent/sds, pilot/pkg/xds/sds.go):
// `default`, the tls_certificate of the proxy's own identity (its chain and key); `ROOTCA`, the
// validation_context trusting every current root; for gateways, the `kubernetes://` credentials
// their servers name (credentials.ts); and Istio's `file-cert:` and `file-root:` names, answered with
// Secrets naming those files on the proxy's own disk, which Envoy reads (translate/file-credentials.ts:
// paths, no key, so any proxy may have them). A proxy's view of the Secret type is exactly its identity's
// two plus the credentials of its own namespace it may have, so no request can name its way to
// another identity's key. Each identity's pair is built and encoded once per certificate and
// bundle and shared by the proxies of that identity (the same map object until either changes,
// which SotW's list cache and delta's part diff key on); ROOTCA is encoded once for everyone. A
// renewal is pushed to that identity's streams, a bundle change to all, a credential change to
// the streams that want it, without the proxies asking.
import type { DeltaDiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DeltaDiscoveryRequest';
import type { DiscoveryRequest__Output } from '../../proto/gen/envoy/service/discovery/v3/DiscoveryRequest';
import type { MeshCa, WorkloadCert, WorkloadCerts, WorkloadIdentity } from '../ca';
import { identityKey } from '../ca';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET } from '../translate/core';
import type { NamedResource, Proxy } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import type { ProxyView } from './cache';
import { certificateSecret, CREDENTIAL_PREFIX, buildSecret, trustSecret, type BuiltSecret, type CredentialSecrets } from './credentials';
import { fileSecret, isFileSecretName } from '../translate/file-credentials';
import type { EncodedResource } from './wire';
import { sameItems } from './types';

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface IdentitySecrets {
  cert: WorkloadCert;
  roots: BuiltSecret | undefined;
  map: ReadonlyMap<string, EncodedResource>;
  debug: NamedResource[];
}

interface Stream {
  id: WorkloadIdentity;
  /** Its map when it has credentials: kept while its identity's map and its credentials are unchanged. */
  own: { base: ReadonlyMap<string, EncodedResource>; credentials: readonly BuiltSecret[]; map: ReadonlyMap<string, EncodedResource> } | undefined;
}

const NONE: ReadonlyMap<string, EncodedResource> = new Map();

export class SdsSecrets {
  private readonly streams = new Map<string, Stream>();
  /** The `kubernetes://`, `file-cert:` and `file-root:` names each stream has asked for. */
  private readonly requested = new Map<string, Set<string>>();
  /** Secrets naming files, by name: the same object for every stream and push (undefined: a name Istio would not parse). */
  private readonly files = new Map<string, BuiltSecret | undefined>();
  private readonly byIdentity = new Map<string, IdentitySecrets>();
  private roots: BuiltSecret | undefined;
  private listener: ((streams: string[] | undefined) => void) | undefined;
  private warnedNoCredentials = false;

  /** `credentials`: where gateways' `kubernetes://` secrets come from; without it none are served. */
  constructor(private readonly ca: MeshCa, private readonly certs: WorkloadCerts, private readonly log: Logger, private readonly credentials?: CredentialSecrets) {
    certs.onIssued((key) => {
      this.byIdentity.delete(key);
      this.listener?.([...this.streams].filter(([, s]) => identityKey(s.id) === key).map(([id]) => id));
    });
    ca.onChange((change) => {
      if (!change.bundle) return;
      this.roots = undefined;
      this.byIdentity.clear();
      this.listener?.(undefined);
    });
    credentials?.onChange((streams) => this.listener?.(streams));
  }

  /** Told which streams to push to (`undefined`: every stream that asks for secrets). */
  onChange(listener: (streams: string[] | undefined) => void): void {
    this.listener = listener;
  }

  /** Notes the names a Secret request of stream `streamId` subscribes to (SotW: all of them; delta: the changes). */
  noteRequest(streamId: string, req: DiscoveryRequest__Output | DeltaDiscoveryRequest__Output): void {
    const credential = (n: string): boolean => n.startsWith(CREDENTIAL_PREFIX);
    const noted = (n: string): boolean => credential(n) || isFileSecretName(n);
    const asked = 'resource_names_subscribe' in req ? req.resource_names_subscribe : req.resource_names;
    if (!this.credentials && asked.some(credential) && !this.warnedNoCredentials) {
      this.warnedNoCredentials = true;
      this.log.warn({ stream: streamId, secrets: asked.filter(credential) }, 'a proxy asks for gateway credentials, but Mast has none to serve: in file mode, give mast serve --credential-dir');
    }
    if ('resource_names_subscribe' in req) {
      const names = this.requested.get(streamId) ?? new Set<string>();
      for (const n of req.resource_names_subscribe.filter(noted)) names.add(n);
      for (const n of req.resource_names_unsubscribe) names.delete(n);
      this.requested.set(streamId, names);
    } else {
      this.requested.set(streamId, new Set(req.resource_names.filter(noted)));
    }
  }

  /**
   * `view` with the secrets of stream `streamId` as its Secret type, `proxy` being who the stream
   * speaks for now (its identity may change, when its Pod appears: the old one is released);
   * /debug/config_dump's JSON gains them as `secrets`, keys redacted. `credentials: false` (a
   * stream that proved no identity) leaves gateway credentials out.
   */
  viewFor(streamId: string, proxy: Proxy, view: ProxyView, o: { credentials: boolean } = { credentials: true }): ProxyView {
    const s = this.bind(streamId, proxy);
    const base = this.built(identityKey(proxy))?.map ?? NONE;
    const names = this.requested.get(streamId);
    const keyed = o.credentials && this.credentials && names?.size ? this.credentials.secretsFor(streamId, proxy, names) : [];
    const creds = [...keyed, ...this.fileSecrets(names)];
    let secrets = base;
    if (creds.length > 0) {
      if (!s.own || s.own.base !== base || !sameItems(s.own.credentials, creds)) {
        s.own = { base, credentials: creds, map: new Map([...base, ...creds.map((c) => [c.resource.name, c.resource] as const)]) };
      }
      secrets = s.own.map;
    }
    const resources = new Map(view.resources);
    resources.set(TYPE_URLS.secret, secrets);
    const debug = (): NamedResource[] => [...(this.built(identityKey(proxy))?.debug ?? []), ...creds.map((c) => c.debug)];
    return { generation: view.generation, resources, json: () => Object.assign(view.json(), { secrets: debug() }) };
  }

  /** The Secrets answering the `file-cert:` and `file-root:` names among `names`, built once each. */
  private fileSecrets(names: ReadonlySet<string> | undefined): BuiltSecret[] {
    const out: BuiltSecret[] = [];
    for (const name of names ?? []) {
      if (!isFileSecretName(name)) continue;
      if (!this.files.has(name)) {
        const json = fileSecret(name);
        if (!json) this.log.warn({ secret: name }, `${name} names no certificate and key (file-cert:CERT~KEY) or CA file (file-root:CA); not served`);
        this.files.set(name, json && buildSecret(json, json, this.log));
      }
      const built = this.files.get(name);
      if (built) out.push(built);
    }
    return out;
  }

  /** The stream is gone: its identity's certificate goes with the identity's last stream. */
  release(streamId: string): void {
    this.requested.delete(streamId);
    // A file name no stream asks for any more is forgotten, so names proxies ask for cannot pile up.
    const asked = new Set([...this.requested.values()].flatMap((names) => [...names]));
    for (const name of this.files.keys()) if (!asked.has(name)) this.files.delete(name);
    this.credentials?.release(streamId);
    const s = this.streams.get(streamId);
    if (!s) return;
    this.streams.delete(streamId);
    this.certs.release(s.id);
  }

  private bind(streamId: string, id: WorkloadIdentity): Stream {
    let s = this.streams.get(streamId);
    if (s && identityKey(s.id) === identityKey(id)) return s;
    if (s) this.certs.release(s.id);
    s = { id: { namespace: id.namespace, serviceAccount: id.serviceAccount }, own: undefined };
    this.streams.set(streamId, s);
    this.certs.acquire(id);
    return s;
  }

  private built(key: string): IdentitySecrets | undefined {
    const cert = this.certs.current(key);
    if (!cert) return undefined;
    const roots = this.rootsSecret();
    const have = this.byIdentity.get(key);
    if (have && have.cert === cert && have.roots === roots) return have;
    const own = certificateSecret(WORKLOAD_CERT_SECRET, cert.chainPem, cert.key.reveal(), this.log);
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

  private rootsSecret(): BuiltSecret | undefined {
    if (this.roots) return this.roots;
    const pem = this.ca.bundlePem;
    if (!pem) return undefined;
    this.roots = trustSecret(ROOT_CA_SECRET, pem, this.log);
    return this.roots;
  }
}
