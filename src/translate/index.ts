// Translation: a model snapshot and a proxy class in, Envoy resources out. Pure: the same input
// gives byte-identical output, which lets the xDS layer share and cache results by class.
import type { Snapshot } from '../model/types';
import { partsFor } from './parts';
import type { NamedResource, ProxyClass, ResourceSet } from './types';

export { partsFor, type TranslationPart } from './parts';

function byName(list: NamedResource[]): NamedResource[] {
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every part of the proxy's config, merged; the xDS layer composes the parts itself instead. */
export function translate(snapshot: Snapshot, proxy: ProxyClass): ResourceSet {
  const pieces = partsFor(proxy.role).map((part) => part.build(snapshot, proxy));
  const all = (field: keyof ResourceSet): NamedResource[] => byName(pieces.flatMap((p) => p[field] ?? []));
  const extensionConfigs = all('extensionConfigs');
  return { clusters: all('clusters'), endpoints: all('endpoints'), listeners: all('listeners'), routes: all('routes'), ...(extensionConfigs.length ? { extensionConfigs } : {}) };
}
