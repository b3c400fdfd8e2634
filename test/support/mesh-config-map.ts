// The root namespace's `istio` ConfigMap holding `mesh` (MeshConfig YAML), as a YAML document: how a
// test gives the model a mesh config, the way a user does (src/model/parse/mesh-config-map.ts).

/** `mesh` is MeshConfig YAML (`outboundTrafficPolicy: {mode: REGISTRY_ONLY}`). */
export function meshConfigMap(mesh: string, namespace = 'istio-system'): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: ${namespace}}\ndata:\n  mesh: ${JSON.stringify(mesh)}\n`;
}
