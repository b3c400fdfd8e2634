// ECDS resources from EnvoyFilters: a configPatch `applyTo: EXTENSION_CONFIG`, `operation: ADD`
// supplies a TypedExtensionConfig by name, which Mast serves over the ExtensionConfigDiscoveryService
// (type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig) to a filter whose
// `config_discovery` names it. As Istio builds them (InsertedExtensionConfigurations,
// pilot/pkg/networking/core/envoyfilter/extension_configuration_patch.go, served by
// pilot/pkg/xds/ecds.go): only ADD supplies one (INSERT_* is read as ADD; MERGE, REMOVE and
// REPLACE do nothing there, which validation says with MAST2067), and `match.context` does not
// narrow it, since an extension config belongs to no listener. The streams send each proxy only
// the names it subscribes to. Each served config's type is checked against the `type_urls` of
// every filter the proxy's EnvoyFilters make discover it (MAST2068), since Envoy refuses an ECDS
// update of a type one of them does not accept (see discoverers below).
import { diagnostic } from '../../model/errors';
import { refKey, refOf, type Diagnostic, type EnvoyFilter, type Snapshot } from '../../model/types';
import type { TranslationPart } from '../parts';
import type { NamedResource, ProxyClass } from '../types';
import { contextMatches, patchesOf, type Patch, type PatchContext } from './patches';
import { envoyFiltersFor } from './select';

const supplies = (p: Patch): boolean => p.applyTo === 'EXTENSION_CONFIG' && p.operation === 'ADD';

/** The contexts a proxy's listeners are patched in (index.ts PLANS). */
const CONTEXTS: Record<ProxyClass['role'], readonly PatchContext[]> = { sidecar: ['SIDECAR_INBOUND', 'SIDECAR_OUTBOUND'], router: ['GATEWAY'] };

/** A filter value (HttpFilter or network Filter) whose config is discovered over ECDS. */
type Discovering = { name?: unknown; config_discovery?: { type_urls?: unknown } };

/**
 * The patch puts into `proxy`'s listeners a filter that discovers its config over ECDS: an
 * HTTP_FILTER or NETWORK_FILTER patch (any operation but REMOVE) in a context the proxy's
 * listeners are patched in, whose value has `config_discovery`. Mast itself writes no such filter.
 */
function discovers(p: Patch, proxy: ProxyClass): boolean {
  if ((p.applyTo !== 'HTTP_FILTER' && p.applyTo !== 'NETWORK_FILTER') || p.operation === 'REMOVE') return false;
  if (!CONTEXTS[proxy.role].some((c) => contextMatches(p, c))) return false;
  const discovery = (p.value as Discovering).config_discovery;
  return typeof discovery === 'object' && discovery !== null;
}

/** The EnvoyFilters selecting `proxy` that supply or discover an extension config, in the order they apply. */
function supplying(snapshot: Snapshot, proxy: ProxyClass): EnvoyFilter[] {
  return envoyFiltersFor(snapshot, proxy).filter((f) => patchesOf(f).some((p) => supplies(p) || discovers(p, proxy)));
}

/**
 * The message type Envoy dispatches a typed_config on (Config::Utility::getFactoryType,
 * source/common/config/utility.cc): the full name after the type URL's last `/`, or a
 * TypedStruct's inner one. Undefined when there is no `@type` (Envoy's own rules refuse that).
 */
function factoryType(typed: unknown): string | undefined {
  const any = typed as { '@type'?: unknown; type_url?: unknown } | undefined;
  if (typeof any?.['@type'] !== 'string') return undefined;
  const type = fullName(any['@type']);
  if ((type === 'xds.type.v3.TypedStruct' || type === 'udpa.type.v1.TypedStruct') && typeof any.type_url === 'string') return fullName(any.type_url);
  return type;
}

const fullName = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf('/') + 1);

/**
 * The type each patch discovering an extension config accepts, by config name: the full names of
 * its `config_discovery.type_urls`, as Envoy keeps them (require_type_urls,
 * FilterConfigProviderManagerImpl::createDynamicFilterConfigProvider). Envoy checks every
 * provider of a name on each ECDS update and refuses the update when one does not accept its
 * type ("filter config has type URL X but expect Y", FilterConfigSubscription::onConfigUpdate,
 * source/common/filter/config_discovery_impl.cc). Read from the EnvoyFilters rather than the
 * built listeners, so this part stays independent of the listener parts; a patch whose listener
 * match finds nothing is counted all the same.
 */
function discoverers(filters: readonly EnvoyFilter[], proxy: ProxyClass): Map<string, { patch: Patch; types: string[] }[]> {
  const byName = new Map<string, { patch: Patch; types: string[] }[]>();
  for (const p of filters.flatMap(patchesOf)) {
    if (!discovers(p, proxy)) continue;
    const value = p.value as Discovering;
    if (typeof value.name !== 'string') continue;
    const urls = value.config_discovery?.type_urls;
    const types = Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string').map(fullName) : [];
    byName.set(value.name, [...(byName.get(value.name) ?? []), { patch: p, types }]);
  }
  return byName;
}

/**
 * The extension configs the EnvoyFilters selecting `proxy` supply, one per name. Istio would send
 * two ADDs of one name both, and Envoy takes one resource per name, so the one applied last (the
 * higher priority, the namespace's over the root namespace's, the newer) is served and each one it
 * shadows is reported (MAST2065, a warning on the shadowed patch). One whose type a filter
 * discovering it does not accept is not served and is reported (MAST2068, an error on the
 * supplying patch, so checked-build serves that EnvoyFilter's last good version instead).
 */
export function extensionConfigs(snapshot: Snapshot, proxy: ProxyClass): { extensionConfigs: NamedResource[]; findings: Diagnostic[] } {
  const byName = new Map<string, Patch>();
  const findings: Diagnostic[] = [];
  const filters = supplying(snapshot, proxy);
  for (const filter of filters) {
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
  const discovering = discoverers(filters, proxy);
  for (const [name, p] of byName) {
    const type = factoryType(p.value.typed_config);
    const refusing = type === undefined ? undefined : discovering.get(name)?.find((d) => !d.types.includes(type));
    if (!refusing) continue;
    byName.delete(name);
    const object = refOfPatch(p);
    const origin = snapshot.object(object)?.origin;
    const by = refusing.patch;
    findings.push(
      diagnostic(
        'MAST2068',
        `${p.filter}: ${p.field} (EXTENSION_CONFIG ADD ${name}) is of type ${type}, which the filter ${name} that ${by.filter} ${by.field} puts in this proxy's listeners does not accept (config_discovery.type_urls: ${refusing.types.join(', ') || 'none'}); Envoy would refuse the update`,
        { object, ...(origin ? { origin } : {}), field: p.field },
      ),
    );
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
 * some to the proxy or make its listeners discover some, so proxies those same EnvoyFilters reach share the part's pieces and bytes,
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
