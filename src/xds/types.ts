import { TYPE_URLS } from '../translate/types';

/** The resource types Mast serves, in the order a push sends them: secrets before the clusters
 * and listeners whose TLS names them (they warm until their secrets arrive), clusters before the
 * endpoints that warm them, listeners before the routes they name, so no request meets a missing
 * cluster. Secrets depend on nothing, so no hold on listeners ever delays a renewal. Extension
 * configs (ECDS) go before the listeners whose filters discover them: a listener warms until each
 * filter's config arrives, so a changed one is there when the listener asks. */
export const PUSH_ORDER = [TYPE_URLS.secret, TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.extensionConfig, TYPE_URLS.listener, TYPE_URLS.route] as const;

export type TypeUrl = (typeof PUSH_ORDER)[number];

/** Short names used in metrics and /debug, as Istio uses them. */
export const SHORT_TYPE: Record<string, string> = {
  [TYPE_URLS.cluster]: 'cds',
  [TYPE_URLS.endpoint]: 'eds',
  [TYPE_URLS.listener]: 'lds',
  [TYPE_URLS.route]: 'rds',
  [TYPE_URLS.secret]: 'sds',
  [TYPE_URLS.extensionConfig]: 'ecds',
};

export function isKnownType(typeUrl: string): typeUrl is TypeUrl {
  return typeUrl in SHORT_TYPE;
}

/** LDS and CDS are the roots of Envoy's config tree: subscribed by wildcard, sent as full state. */
export function isRootType(typeUrl: string): boolean {
  return typeUrl === TYPE_URLS.cluster || typeUrl === TYPE_URLS.listener;
}

/** Whether two lists hold the same items (by identity) in the same order. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
