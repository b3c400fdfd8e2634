// VirtualService `headers` -> Envoy header mutations. `set` overwrites, `add` appends, as Istio.
import type { EnvoyJson } from '../types';
import type { HeaderOperations } from './istio-types';

type Operations = NonNullable<HeaderOperations['request']>;

function toAdd(ops: Operations): EnvoyJson[] {
  const entry = (append_action: string) => ([key, value]: [string, string]): EnvoyJson => ({ header: { key, value }, append_action });
  return [
    ...Object.entries(ops.set ?? {}).map(entry('OVERWRITE_IF_EXISTS_OR_ADD')),
    ...Object.entries(ops.add ?? {}).map(entry('APPEND_IF_EXISTS_OR_ADD')),
  ];
}

/**
 * The header fields of a Route or weighted ClusterWeight for the given operations, applied in the
 * order given (a rule's own, then its only destination's). Empty lists are left out.
 */
export function headerMutations(...all: (HeaderOperations | undefined)[]): EnvoyJson {
  const requestAdd = all.flatMap((h) => (h?.request ? toAdd(h.request) : []));
  const requestRemove = all.flatMap((h) => h?.request?.remove ?? []);
  const responseAdd = all.flatMap((h) => (h?.response ? toAdd(h.response) : []));
  const responseRemove = all.flatMap((h) => h?.response?.remove ?? []);
  return {
    ...(requestAdd.length > 0 ? { request_headers_to_add: requestAdd } : {}),
    ...(requestRemove.length > 0 ? { request_headers_to_remove: requestRemove } : {}),
    ...(responseAdd.length > 0 ? { response_headers_to_add: responseAdd } : {}),
    ...(responseRemove.length > 0 ? { response_headers_to_remove: responseRemove } : {}),
  };
}
