// Istio's exportTo, one rule for every kind that has it (Services and ServiceEntries,
// VirtualServices, DestinationRules): an object that sets none takes the mesh config's default for
// its kind (MeshConfig defaultServiceExportTo, defaultVirtualServiceExportTo,
// defaultDestinationRuleExportTo; `*` when those are unset), as Istio's PushContext does
// (initDefaultExportMaps, and each kind's exportTo lookup in push_context.go).

/**
 * Whether an object in namespace `own` whose `exportTo` is as given (unset or empty: `defaults`)
 * is seen from `namespace`: `*` everywhere, `.` its own namespace, `~` nowhere, any other entry
 * the namespace it names.
 */
export function isExportedTo(exportTo: readonly string[] | undefined, own: string, namespace: string, defaults: readonly string[]): boolean {
  const to = exportTo?.length ? exportTo : defaults;
  return to.some((e) => e === '*' || (e === '.' ? own : e) === namespace);
}

/** The namespaces that see such an object: `*` for every one, else a set (empty for `~`). */
export function exportedNamespaces(exportTo: readonly string[] | undefined, own: string, defaults: readonly string[]): '*' | Set<string> {
  const to = exportTo?.length ? exportTo : defaults;
  if (to.includes('*')) return '*';
  return new Set(to.filter((e) => e !== '~').map((e) => (e === '.' ? own : e)));
}
