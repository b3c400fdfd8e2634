// Mast's own root and its rotation. The state is a flat map of names to text, stored as it is in
// the `mast-ca` Secret's data (Kubernetes mode) or in the state file (file mode, state-file.ts):
//
//   ca.crt, ca.key                 the newest root and its key
//   previous-ca.crt, previous-ca.key   the root before the last rotation
//   previous-ca.signs-until        until then (RFC 3339) the previous root still signs
//   previous-ca.trusted-until      until then it stays in every trust bundle
//
// A rotation (`mast ca rotate`) makes a new root and moves the current one to previous-*. Its
// phases follow SPIRE's prepared/active/retired authorities: the new root enters every proxy's
// bundle (ROOTCA) at once, but signs only after `activateAfter`, so that every proxy trusts it
// before any peer presents a certificate from it; then every workload certificate is re-issued
// under it; the old root leaves the bundles when the overlap ends. (Istio's self-signed rotator
// re-signs the old key instead, security/pkg/pki/ca/selfsignedcarootcertrotator.go; a new key
// needs the overlap.) A plugged-in CA is rotated through its files instead, as Istio documents:
// both roots in root-cert.pem, then a new ca-cert, then the old root removed.
import type * as x509 from '@peculiar/x509';
import { CertificateAuthority, fingerprint, type CaOptions } from './ca';

export const CA_STATE_KEYS = {
  cert: 'ca.crt',
  key: 'ca.key',
  previousCert: 'previous-ca.crt',
  previousKey: 'previous-ca.key',
  previousSignsUntil: 'previous-ca.signs-until',
  previousTrustedUntil: 'previous-ca.trusted-until',
} as const;

/** Mast's CA state: Secret data keys (or state-file keys) to their text. */
export type CaState = Record<string, string>;

/** What a CA is at one moment: who signs, which roots every proxy trusts, when that changes next. */
export interface CaPhase {
  signer: CertificateAuthority;
  /** Every root a proxy must trust now, the newest first. */
  bundle: readonly x509.X509Certificate[];
  /** Epoch ms of the next phase change, if one is planned. */
  nextChangeAt?: number;
}

/** A CA as loaded from its source, evaluated at any time. */
export interface CaMaterial {
  /** Where it came from, for logs ("state file /x/ca.json", "Secret mast-system/cacerts"). */
  source: string;
  /** True for a plugged-in CA (cacerts). */
  pluggedIn: boolean;
  at(now: number): CaPhase;
}

/** A new state: one fresh root. */
export async function newCaState(o: CaOptions = {}): Promise<CaState> {
  const pem = (await CertificateAuthority.create(o)).toPem();
  return { [CA_STATE_KEYS.cert]: pem.certPem, [CA_STATE_KEYS.key]: pem.keyPem };
}

export interface RotateOptions {
  /** How long the new root is only trusted before it signs (default one minute). */
  activateAfterMs: number;
  /** How long the old root stays in every bundle, counted from the rotation (default 24 h). */
  overlapMs: number;
  rootTtlMs?: number;
  now?: number;
}

function timeOf(state: CaState, key: string): number | undefined {
  const text = state[key];
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`${key} is not a time: "${text}"`);
  return t;
}

/**
 * `state` rotated to a new root at `o.now`. Throws if the overlap does not outlast the
 * activation, or an earlier rotation's overlap is still running (its old root would be dropped
 * from bundles early).
 */
export async function rotateCaState(state: CaState, o: RotateOptions): Promise<CaState> {
  const now = o.now ?? Date.now();
  if (o.activateAfterMs < 0) throw new Error('the activation delay cannot be negative');
  if (o.overlapMs <= o.activateAfterMs) throw new Error('the overlap must be longer than the activation delay: the old root must be trusted until every certificate has moved');
  const running = timeOf(state, CA_STATE_KEYS.previousTrustedUntil);
  if (running !== undefined && running > now) throw new Error(`a rotation is still in its overlap until ${new Date(running).toISOString()}; rotate again after that`);
  const cert = state[CA_STATE_KEYS.cert];
  const key = state[CA_STATE_KEYS.key];
  if (cert === undefined || key === undefined) throw new Error(`no current root (${CA_STATE_KEYS.cert}, ${CA_STATE_KEYS.key}) to rotate from`);
  const next = await newCaState({ rootTtlMs: o.rootTtlMs });
  return {
    ...next,
    [CA_STATE_KEYS.previousCert]: cert,
    [CA_STATE_KEYS.previousKey]: key,
    [CA_STATE_KEYS.previousSignsUntil]: new Date(now + o.activateAfterMs).toISOString(),
    [CA_STATE_KEYS.previousTrustedUntil]: new Date(now + o.overlapMs).toISOString(),
  };
}

/** The CA a state describes. Throws when the state is incomplete or a key is not its certificate's. */
export async function selfSignedMaterial(state: CaState, source: string, o: CaOptions = {}): Promise<CaMaterial> {
  const cert = state[CA_STATE_KEYS.cert];
  const key = state[CA_STATE_KEYS.key];
  if (cert === undefined || key === undefined) throw new Error(`${source} lacks ${CA_STATE_KEYS.cert} or ${CA_STATE_KEYS.key}`);
  const current = await CertificateAuthority.fromPem({ certPem: cert, keyPem: key }, o);
  const trustedUntil = timeOf(state, CA_STATE_KEYS.previousTrustedUntil);
  const previousCert = state[CA_STATE_KEYS.previousCert];
  const previousKey = state[CA_STATE_KEYS.previousKey];
  // A finished rotation's leftovers are not even loaded.
  const previous = trustedUntil !== undefined && trustedUntil > Date.now() && previousCert !== undefined && previousKey !== undefined
    ? await CertificateAuthority.fromPem({ certPem: previousCert, keyPem: previousKey }, o)
    : undefined;
  const signsUntil = timeOf(state, CA_STATE_KEYS.previousSignsUntil) ?? 0;
  return {
    source,
    pluggedIn: false,
    at(now) {
      if (!previous || trustedUntil === undefined || now >= trustedUntil) return { signer: current, bundle: [current.root] };
      // One order in both phases: only the signer changes when the new root activates.
      const bundle = [current.root, previous.root];
      if (now < signsUntil) return { signer: previous, bundle, nextChangeAt: signsUntil };
      return { signer: current, bundle, nextChangeAt: trustedUntil };
    },
  };
}

/** A plugged-in CA: no phases of its own; its files change instead. */
export function pluggedInMaterial(ca: CertificateAuthority, source: string): CaMaterial {
  return { source, pluggedIn: true, at: () => ({ signer: ca, bundle: ca.roots }) };
}

/** Whether two phases sign alike (same signer and chain) and trust alike (same bundle). */
export function samePhase(a: CaPhase | undefined, b: CaPhase): { signer: boolean; bundle: boolean } {
  const ids = (certs: readonly x509.X509Certificate[]): string => certs.map(fingerprint).join(',');
  return {
    signer: a !== undefined && ids(a.signer.chain) === ids(b.signer.chain),
    bundle: a !== undefined && ids(a.bundle) === ids(b.bundle),
  };
}
