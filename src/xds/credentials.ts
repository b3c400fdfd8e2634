// Gateway credentials over SDS, under Istio's names (pilot/pkg/model/credentials/resource.go):
// `kubernetes://NAME`, the certificate and key of Secret NAME in the proxy's own namespace, and
// `kubernetes://NAME-cacert`, its CA certificate (from Secret NAME-cacert if there is one, else
// from NAME: Istio's GetCaCert). As in Istio's filterAuthorizedResources, only a proxy's own
// namespace is ever read; the key-bearing secret goes only to gateways, and to a sidecar that a
// DestinationRule with a workloadSelector in its namespace sends MUTUAL TLS with that credential
// (policy/mtls/sidecar-credentials.ts: Istio's rule for credentialName at sidecars), and, where the
// source can ask (Kubernetes: a SubjectAccessReview, as Istio's CredentialsController.Authorize),
// only to a proxy whose service account may list that namespace's Secrets; a CA certificate,
// public information, goes to any proxy of the namespace. A key refused is reported (refused()). Each wanted credential is read again every
// couple of seconds and pushed to the streams that want it when it changes.
import { createHash } from 'node:crypto';
import { caCredential, isCredentialRef, serverCredential, type CredentialSource } from '../ca/credentials';
import type { EnvoyJson, NamedResource, ProxyRole } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import { encodeAny } from './encode';
import { MAST_LIMITS, validateResource } from './validate';
import type { EncodedResource } from './wire';

export const CREDENTIAL_PREFIX = 'kubernetes://';
export const CA_SUFFIX = '-cacert';

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A secret as sent, and as /debug shows it (key redacted). */
export interface BuiltSecret {
  resource: EncodedResource;
  debug: NamedResource;
}

interface Watched {
  namespace: string;
  resourceName: string;
  streams: Set<string>;
  /** Content hash of what was read last: a change is pushed, a repeat is not. */
  hash: string | undefined;
  built: BuiltSecret | undefined;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A refusal that is no refusal yet: the authorization is being asked for. */
const PENDING = 'pending';

/** Builds an SDS secret from its proto3 JSON; undefined (logged by path only) if Envoy would refuse it. */
export function buildSecret(json: EnvoyJson, debugJson: EnvoyJson, log: Logger): BuiltSecret | undefined {
  const name = String(json['name']);
  const violations = validateResource(TYPE_URLS.secret, json, MAST_LIMITS);
  if (violations.length > 0) {
    // Paths and rules only: the values would include the key.
    log.error({ secret: name, violations: violations.map((v) => `${v.path}: ${v.rule}`) }, `SDS secret ${name} would be rejected by Envoy; not served`);
    return undefined;
  }
  const any = encodeAny(TYPE_URLS.secret, json);
  return { resource: { name, any, version: createHash('sha256').update(any).digest('base64url').slice(0, 16) }, debug: { name, json: debugJson } };
}

/** Who asks for credentials: a proxy's namespace, role and service account (as proven in Kubernetes mode), and its workload's labels. */
export interface CredentialClient {
  namespace: string;
  role: ProxyRole;
  serviceAccount: string;
  labels?: Readonly<Record<string, string>>;
}

/** The credential names whose keys a sidecar may be sent (policy/mtls/sidecar-credentials.ts over the current DestinationRules). */
export type SidecarKeys = (client: CredentialClient) => ReadonlySet<string>;

/** A key a proxy asked for and was refused: who, which, and why. */
export interface RefusedKey {
  namespace: string;
  serviceAccount: string;
  /** The credentialName. */
  name: string;
  why: string;
}

/** How long an authorization answer is reused: Istio's (a denial 1 minute, an allowance 5). */
export interface AuthorizationTtl {
  allowedMs: number;
  deniedMs: number;
}

const ISTIO_AUTHORIZATION_TTL: AuthorizationTtl = { allowedMs: 300_000, deniedMs: 60_000 };

interface Decision {
  /** Why not, or undefined when allowed; absent while the first answer is awaited. */
  answer?: { why: string | undefined; until: number };
  checking: boolean;
  /** Streams to push to once the answer comes. */
  waiting: Set<string>;
}

/** An SDS Secret holding a certificate chain and its key (PEM); its /debug form shows the key `[redacted]`. */
export function certificateSecret(name: string, chainPem: string, keyPem: string, log: Logger): BuiltSecret | undefined {
  const chain = { inline_bytes: b64(chainPem) };
  return buildSecret(
    { name, tls_certificate: { certificate_chain: chain, private_key: { inline_bytes: b64(keyPem) } } },
    { name, tls_certificate: { certificate_chain: chain, private_key: { inline_bytes: '[redacted]' } } },
    log,
  );
}

/** An SDS Secret whose validation context trusts the CA certificates in `caPem`. */
export function trustSecret(name: string, caPem: string, log: Logger): BuiltSecret | undefined {
  const json = { name, validation_context: { trusted_ca: { inline_bytes: b64(caPem) } } };
  return buildSecret(json, json, log);
}

export class CredentialSecrets {
  private readonly watched = new Map<string, Watched>();
  /** Keys refused, by stream and resource name: reported by refused() while the stream still asks. */
  private readonly denied = new Map<string, RefusedKey>();
  private readonly decisions = new Map<string, Decision>();
  private listener: ((streams: string[]) => void) | undefined;
  private readonly missingListeners: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  /** `sidecarKeys`: which keys each sidecar may have; without it, none (gateways alone get keys). */
  constructor(
    private readonly source: CredentialSource,
    private readonly log: Logger,
    pollMs = 2000,
    private readonly ttl = ISTIO_AUTHORIZATION_TTL,
    private readonly sidecarKeys: SidecarKeys = () => new Set(),
  ) {
    this.timer = setInterval(() => void this.poll(), pollMs);
    this.timer.unref();
  }

  /** Told which streams to push to when a credential they want changes. */
  onChange(listener: (streams: string[]) => void): void {
    this.listener = listener;
  }

  /**
   * The credentials some gateway asks for that its source does not have: `name` is the
   * credentialName (a `-cacert` request falls back to it, so only the name itself counts), in the
   * gateway proxy's namespace, where Istio looks too. Gateways' servers naming one serve nothing
   * until it exists (the listener waits for it); src/server/credential-findings.ts reports them.
   */
  missing(): { namespace: string; name: string }[] {
    return [...this.watched.values()]
      .filter((w) => w.hash === 'none' && !w.resourceName.endsWith(CA_SUFFIX))
      .map((w) => ({ namespace: w.namespace, name: w.resourceName.slice(CREDENTIAL_PREFIX.length) }));
  }

  /**
   * The keys proxies ask for and are refused (a sidecar no DestinationRule entitles, a service
   * account that may not read its namespace's Secrets): what they configure waits for a key that
   * never comes; src/server/credential-findings.ts reports them (MAST3010).
   */
  refused(): RefusedKey[] {
    const seen = new Map<string, RefusedKey>();
    for (const r of this.denied.values()) seen.set(`${r.namespace}\0${r.serviceAccount}\0${r.name}`, r);
    return [...seen.values()];
  }

  /** Told whenever what missing() or refused() answers may have changed. */
  onMissingChange(listener: () => void): void {
    this.missingListeners.push(listener);
  }

  /**
   * The credential secrets among `names` that stream `streamId` (a proxy: `client`) may have and
   * that exist now; the stream then follows exactly those of `names` it may have. A key waits for
   * the source's first authorization answer for the client's service account (the stream is
   * pushed to when it comes); a later re-check keeps the last answer meanwhile.
   */
  secretsFor(streamId: string, client: CredentialClient, names: Iterable<string>): BuiltSecret[] {
    const { namespace } = client;
    const out: BuiltSecret[] = [];
    const wanted = new Set<string>();
    const refusedNow = new Set<string>();
    let sidecarKeys: ReadonlySet<string> | undefined;
    const entitled = (name: string): boolean => (sidecarKeys ??= this.sidecarKeys(client)).has(name);
    for (const resourceName of names) {
      if (!resourceName.startsWith(CREDENTIAL_PREFIX)) continue;
      const why = this.refusal(client, resourceName, entitled) ?? this.unauthorized(streamId, client, resourceName);
      if (why) {
        if (why !== PENDING) {
          refusedNow.add(resourceName);
          this.deny(streamId, client, resourceName, why);
        }
        continue;
      }
      const key = `${namespace}/${resourceName}`;
      wanted.add(key);
      let w = this.watched.get(key);
      if (!w) {
        w = { namespace, resourceName, streams: new Set(), hash: undefined, built: undefined };
        this.watched.set(key, w);
        void this.refresh(w);
      }
      w.streams.add(streamId);
      if (w.built) out.push(w.built);
    }
    for (const [key, w] of this.watched) if (w.streams.has(streamId) && !wanted.has(key)) this.unwatch(key, w, streamId);
    // A refusal lasts while the stream asks and is refused; a key granted since, or no longer asked for, is no longer one.
    let changed = false;
    for (const key of [...this.denied.keys()]) {
      const [stream, resourceName] = key.split('\0') as [string, string];
      if (stream === streamId && !refusedNow.has(resourceName)) changed = this.denied.delete(key);
    }
    if (changed) for (const l of this.missingListeners) l();
    return out;
  }

  /** The stream is gone. */
  release(streamId: string): void {
    for (const [key, w] of this.watched) if (w.streams.has(streamId)) this.unwatch(key, w, streamId);
    let changed = false;
    for (const d of [...this.denied.keys()]) if (d.startsWith(`${streamId}\0`)) changed = this.denied.delete(d);
    if (changed) for (const l of this.missingListeners) l();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private unwatch(key: string, w: Watched, streamId: string): void {
    w.streams.delete(streamId);
    if (w.streams.size === 0) {
      this.watched.delete(key);
      if (w.hash === 'none') for (const l of this.missingListeners) l();
    }
  }

  /** Why a proxy may not have `resourceName`, or undefined if it may; `entitled` tells the keys a sidecar may have. */
  private refusal({ namespace, role }: CredentialClient, resourceName: string, entitled: (name: string) => boolean): string | undefined {
    const name = resourceName.slice(CREDENTIAL_PREFIX.length);
    // `kubernetes://NS/NAME` would reach into another namespace: Istio allows that only to Gateway API references.
    if (!isCredentialRef(namespace, name)) return `"${name}" is not the name of a Secret in the proxy's namespace`;
    if (!name.endsWith(CA_SUFFIX) && role !== 'router' && !entitled(name)) {
      return 'a sidecar is sent a credential\'s key only when a DestinationRule in its namespace whose workloadSelector selects it names the credential in tls mode MUTUAL';
    }
    return undefined;
  }

  /**
   * For a key-bearing credential, the source's authorization of the client's service account:
   * undefined (allowed), why not, or PENDING until the first answer comes.
   */
  private unauthorized(streamId: string, client: CredentialClient, resourceName: string): string | undefined {
    const authorize = this.source.authorize?.bind(this.source);
    if (!authorize || resourceName.endsWith(CA_SUFFIX)) return undefined;
    const key = `${client.namespace}/${client.serviceAccount}`;
    let d = this.decisions.get(key);
    if (!d) {
      d = { checking: false, waiting: new Set() };
      this.decisions.set(key, d);
    }
    const decision = d;
    if (!decision.checking && (!decision.answer || decision.answer.until <= Date.now())) {
      decision.checking = true;
      void authorize(client.namespace, client.serviceAccount).then(
        (why) => {
          decision.answer = { why, until: Date.now() + (why === undefined ? this.ttl.allowedMs : this.ttl.deniedMs) };
          decision.checking = false;
          const streams = [...decision.waiting];
          decision.waiting.clear();
          if (streams.length > 0) this.listener?.(streams);
        },
        (err: unknown) => {
          // Not cached: the next push asks again.
          decision.checking = false;
          this.log.warn({ serviceAccount: key, err: err instanceof Error ? err.message.split('\n')[0] : String(err) }, `cannot check whether ${key} may read its namespace's Secrets; retrying`);
        },
      );
    }
    if (!decision.answer) {
      decision.waiting.add(streamId);
      return PENDING;
    }
    return decision.answer.why;
  }

  private deny(streamId: string, client: CredentialClient, resourceName: string, why: string): void {
    const key = `${streamId}\0${resourceName}`;
    if (this.denied.get(key)?.why === why) return;
    this.denied.set(key, { namespace: client.namespace, serviceAccount: client.serviceAccount, name: resourceName.slice(CREDENTIAL_PREFIX.length), why });
    this.log.warn({ stream: streamId, secret: resourceName, reason: why }, `not serving ${resourceName}: ${why}`);
    for (const l of this.missingListeners) l();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all([...this.watched.values()].map((w) => this.refresh(w)));
    } finally {
      this.polling = false;
    }
  }

  /** Reads a credential again; when it changed, rebuilds it and tells the streams that want it. */
  private async refresh(w: Watched): Promise<void> {
    const name = w.resourceName.slice(CREDENTIAL_PREFIX.length);
    const isCa = name.endsWith(CA_SUFFIX);
    let data;
    try {
      // A CA certificate comes from NAME-cacert if it exists, else from NAME (Istio's GetCaCert).
      data = (await this.source.read(w.namespace, name)) ?? (isCa ? await this.source.read(w.namespace, name.slice(0, -CA_SUFFIX.length)) : undefined);
    } catch (err) {
      this.log.warn({ namespace: w.namespace, secret: w.resourceName, err: err instanceof Error ? err.message.split('\n')[0] : String(err) }, `cannot read ${w.resourceName} from ${this.source.where}; retrying`);
      return;
    }
    const hash = data === undefined ? 'none' : createHash('sha256').update(JSON.stringify(Object.entries(data).sort())).digest('hex');
    if (hash === w.hash) return;
    w.hash = hash;
    w.built = data === undefined ? undefined : this.build(w, data, isCa);
    if (data === undefined) this.log.warn({ namespace: w.namespace, secret: w.resourceName }, `${w.resourceName}: no Secret ${w.namespace}/${name} in ${this.source.where}`);
    if (this.watched.get(`${w.namespace}/${w.resourceName}`) === w) {
      this.listener?.([...w.streams]);
      for (const l of this.missingListeners) l();
    }
  }

  private build(w: Watched, data: Record<string, string>, isCa: boolean): BuiltSecret | undefined {
    const name = w.resourceName;
    const parsed = isCa ? caCredential(data) : serverCredential(data);
    if ('problem' in parsed) {
      this.log.warn({ namespace: w.namespace, secret: name, reason: parsed.problem }, `${name} in ${w.namespace} cannot be served: ${parsed.problem}`);
      return undefined;
    }
    return 'trustedCa' in parsed ? trustSecret(name, parsed.trustedCa, this.log) : certificateSecret(name, parsed.certificateChain, parsed.privateKey, this.log);
  }
}
