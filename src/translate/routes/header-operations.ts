// VirtualService `headers` -> Envoy header mutations, as Istio's TranslateHeadersOperations makes
// them: `set` overwrites, `add` appends; `:authority` and `host` are not headers Envoy lets a route
// mutate, so setting either rewrites the host instead (hostRewrite), and every pseudo-header and
// `host` is dropped from the mutations (Envoy refuses the whole route table otherwise).
import type { EnvoyJson } from '../types';
import type { HeaderOperations } from './istio-types';

type Operations = NonNullable<HeaderOperations['request']>;

/** Istio's isInternalHeader: what Envoy does not let a route add or remove. */
function isInternal(name: string): boolean {
  return name.startsWith(':') || name.toLowerCase() === 'host';
}

function isAuthority(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === ':authority' || lower === 'host';
}

function toAdd(ops: Operations): EnvoyJson[] {
  const entry = (append_action: string) => ([key, value]: [string, string]): EnvoyJson => ({ header: { key, value }, append_action });
  const kept = (map: Record<string, string> | undefined) => Object.entries(map ?? {}).filter(([key]) => !isInternal(key));
  return [...kept(ops.set).map(entry('OVERWRITE_IF_EXISTS_OR_ADD')), ...kept(ops.add).map(entry('APPEND_IF_EXISTS_OR_ADD'))];
}

/**
 * The host a request's `:authority` (or `host`) is set to by `headers.request`: `set` before
 * `add`, as in Istio; undefined when neither names it.
 */
export function authorityOf(headers: HeaderOperations | undefined): string | undefined {
  const find = (map: Record<string, string> | undefined) => Object.entries(map ?? {}).filter(([key]) => isAuthority(key)).pop()?.[1];
  return find(headers?.request?.set) ?? find(headers?.request?.add);
}

/**
 * The header fields of a Route or weighted ClusterWeight for the given operations, applied in the
 * order given (a rule's own, then its only destination's). Empty lists are left out.
 */
export function headerMutations(...all: (HeaderOperations | undefined)[]): EnvoyJson {
  const requestAdd = all.flatMap((h) => (h?.request ? toAdd(h.request) : []));
  const requestRemove = all.flatMap((h) => h?.request?.remove ?? []).filter((name) => !isInternal(name));
  const responseAdd = all.flatMap((h) => (h?.response ? toAdd(h.response) : []));
  const responseRemove = all.flatMap((h) => h?.response?.remove ?? []).filter((name) => !isInternal(name));
  return {
    ...(requestAdd.length > 0 ? { request_headers_to_add: requestAdd } : {}),
    ...(requestRemove.length > 0 ? { request_headers_to_remove: requestRemove } : {}),
    ...(responseAdd.length > 0 ? { response_headers_to_add: responseAdd } : {}),
    ...(responseRemove.length > 0 ? { response_headers_to_remove: responseRemove } : {}),
  };
}
