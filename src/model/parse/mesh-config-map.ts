// The `istio` ConfigMap: where istiod reads its MeshConfig (the `mesh` key; pkg/config/mesh/kubemesh,
// MeshConfigKey), in its own namespace. Mast reads it in the root namespace (`--root-namespace`,
// istio-system), which is istiod's namespace in a default install. Every other ConfigMap is left
// alone with a note, as before ConfigMaps were read at all.
import { diagnostic } from '../errors';
import { DEFAULT_MESH_CONFIG, parseMeshConfig } from '../mesh-config';
import type { Diagnostic, MeshConfigMap, Origin } from '../types';
import { isRecord, type Json } from './read';
import type { ConvertContext } from './object';

/** The ConfigMap istiod reads its mesh config from (istio-REVISION for a revision; Mast has none). */
export const MESH_CONFIG_MAP = 'istio';
/** Its key that holds the MeshConfig YAML. */
export const MESH_CONFIG_KEY = 'mesh';

/**
 * Why a ConfigMap is not read, or undefined for the one that is: `istio` in `rootNamespace`, and
 * with `--mesh-config FILE` (`meshConfigFile`) only the one read from that file, as istiod reads
 * its file and no ConfigMap then. A finding for the caller to report instead of parsing.
 */
export function ignoredConfigMap(namespace: string, name: string, origin: Origin, rootNamespace: string, meshConfigFile?: string): Diagnostic | undefined {
  if (meshConfigFile !== undefined && origin.file !== meshConfigFile) {
    return diagnostic('MAST1003', `ConfigMap ${namespace}/${name} is ignored: --mesh-config ${meshConfigFile} is the mesh config`, { origin });
  }
  if (namespace === rootNamespace && name === MESH_CONFIG_MAP) return undefined;
  return diagnostic('MAST1003', `ConfigMap ${namespace}/${name} is ignored: the one ConfigMap Mast reads is ${rootNamespace}/${MESH_CONFIG_MAP} (the mesh config)`, { origin });
}

/**
 * The mesh ConfigMap: `data.mesh` read as MeshConfig YAML over Istio's defaults. No `mesh` key, text
 * that is not YAML (MAST1016) or a bad value (MAST2053) is an error, so the last good version keeps
 * serving; fields Mast does not read are MAST1015 warnings.
 */
export function toMeshConfigMap(raw: Json, ctx: ConvertContext): MeshConfigMap {
  const data = isRecord(raw.data) ? raw.data : {};
  const text = data[MESH_CONFIG_KEY];
  const ref = { kind: 'ConfigMap' as const, namespace: ctx.base.meta.namespace, name: ctx.base.meta.name };
  const at = `data.${MESH_CONFIG_KEY}`;
  if (typeof text !== 'string') {
    ctx.read.report('MAST1016', at, `the ${MESH_CONFIG_MAP} ConfigMap has no ${MESH_CONFIG_KEY} key holding MeshConfig YAML`);
    return { kind: 'ConfigMap', ...ctx.base, mesh: DEFAULT_MESH_CONFIG };
  }
  const { config, diagnostics } = parseMeshConfig(text, ctx.base.origin, ref, at);
  ctx.read.diagnostics.push(...diagnostics);
  return { kind: 'ConfigMap', ...ctx.base, mesh: config ?? DEFAULT_MESH_CONFIG };
}
