// ECDS resources from EnvoyFilters: a configPatch `applyTo: EXTENSION_CONFIG`, `operation: ADD`
// supplies a TypedExtensionConfig by name, which Mast serves over the ExtensionConfigDiscoveryService
// (type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig) to a filter whose
// `config_discovery` names it. As Istio builds them (InsertedExtensionConfigurations,
// pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go, served by
// pilot/pkg/xds/ecds.go): only ADD supplies one (INSERT_* is read as ADD; MERGE, REMOVE and
// REPLACE do nothing there, which validation says with MAST2067), and `match.context` does not
// narrow it, since an extension config belongs to no listener. The streams send each proxy only
// the names it subscribes to.
import { diagnostic } from '../../model/errors';
import { refKey, refOf, type Diagnostic, type EnvoyFilter, type Snapshot } from '../../model/types';
import type { TranslationPart } from '../parts';
import type { NamedResource, ProxyClass } from '../types';
import { patchesOf, type Patch } from './patches';
import { envoyFiltersFor } from './select';

const supplies = (p: Patch): boolean => p.applyTo === 'EXTENSION_CONFIG' && p.operation === 'ADD';

/** The EnvoyFilters selecting `proxy` that supply an extension config, in the order they apply. */
function supplying(snapshot: Snapshot, proxy: ProxyClass): EnvoyFilter[] {
  return envoyFiltersFor(snapshot, proxy).filter((f) => patchesOf(f).some(supplies));
}

/**
 * The extension configs the EnvoyFilters selecting `proxy` supply, one per name. Istio would send
 * two ADDs of one name both, and Envoy takes one resource per name, so the one applied last (the
 * higher priority, the namespace's over the root namespace's, the newer) is served and each one it
 * shadows is reported (MAST2065, a warning on the shadowed patch).
 */
export function extensionConfigs(snapshot: Snapshot, proxy: ProxyClass): { extensionConfigs: NamedResource[]; findings: Diagnostic[] } {
  const byName = new Map<string, Patch>();
  const findings: Diagnostic[] = [];
  for (const filter of supplying(snapshot, proxy)) {
    for (const p of patchesOf(filter).filter(supplies)) {
      const name = typeof p.value.name === 'string' ? p.value.name : '';
      const shadowed = byName.get(name);
      if (shadowed) {
        const object = refOfPatch(shadowed);
        const origin = snapshot.object(object)?.origin;
        findings.push(diagnostic('MAST2065', `${shadowed.filter}: ${shadowed.field} (EXTENSION_CONFIG ADD ${name}) is shadowed by ${p.filter} ${p.field}, applied later; that one is served`, { object, ...(origin ? { origin } : {}), field: shadowed.field }));
      }
      byName.set(name, p);
    }
  }
  const resources = [...byName].map(([name, p]): NamedResource => ({ name, json: p.value, sources: [p.filter] }));
  return { extensionConfigs: resources, findings };
}

function refOfPatch(p: Patch): { kind: 'EnvoyFilter'; namespace: string; name: string } {
  const [, namespace = '', name = ''] = p.filter.split('/');
  return { kind: 'EnvoyFilter', namespace, name };
}

/**
 * The translation part of a proxy's ECDS resources. Its key is the EnvoyFilters that supply
 * some to the proxy, so proxies those same EnvoyFilters reach share the part's pieces and bytes,
 * and every proxy none reaches shares one empty piece.
 */
export const extensionConfigsPart: TranslationPart = {
  name: 'extension-configs',
  key: (proxy, snapshot) => JSON.stringify(supplying(snapshot, proxy).map((f) => refKey(refOf(f)))),
  build: (snapshot, proxy) => {
    const { extensionConfigs: list, findings } = extensionConfigs(snapshot, proxy);
    return { extensionConfigs: list, ...(findings.length ? { findings } : {}) };
  },
};
