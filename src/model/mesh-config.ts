// The few MeshConfig fields Mast reads (`mast serve --mesh-config FILE`), named as Istio names them
// (istio.io/api mesh/v1alpha1/config.proto; the `mesh` key of the `istio` ConfigMap holds the same
// YAML). Other fields are refused by name, so nobody mistakes one for working.
import { CORE_SCHEMA, load } from 'js-yaml';
import type { OutboundTrafficPolicyMode } from './types';

export interface MeshConfig {
  outboundTrafficPolicy?: OutboundTrafficPolicyMode;
}

const MODES: readonly OutboundTrafficPolicyMode[] = ['ALLOW_ANY', 'REGISTRY_ONLY'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads MeshConfig YAML such as `outboundTrafficPolicy: {mode: REGISTRY_ONLY}`. Throws an Error
 * naming the field for anything else: an unknown or unsupported field, or a mode that is not
 * ALLOW_ANY or REGISTRY_ONLY. An empty document is the defaults.
 */
export function parseMeshConfig(text: string, file: string): MeshConfig {
  const doc: unknown = text.trim() === '' ? {} : (load(text, { schema: CORE_SCHEMA, filename: file }) ?? {});
  if (!isRecord(doc)) throw new Error(`${file}: MeshConfig must be a mapping`);
  const config: MeshConfig = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key !== 'outboundTrafficPolicy') throw new Error(`${file}: ${key}: this MeshConfig field is not supported by Mast`);
    if (!isRecord(value)) throw new Error(`${file}: outboundTrafficPolicy must be a mapping`);
    for (const [k, mode] of Object.entries(value)) {
      if (k !== 'mode') throw new Error(`${file}: outboundTrafficPolicy.${k}: this MeshConfig field is not supported by Mast`);
      if (!MODES.includes(mode as OutboundTrafficPolicyMode)) throw new Error(`${file}: outboundTrafficPolicy.mode is ${JSON.stringify(mode)}; must be one of ${MODES.join(', ')}`);
      config.outboundTrafficPolicy = mode as OutboundTrafficPolicyMode;
    }
  }
  return config;
}
