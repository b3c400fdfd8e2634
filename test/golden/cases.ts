// Reading the golden cases, shared by the golden test and the Envoy validation test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { snapshotFromYaml, type Snapshot } from '../../src/model';
import type { ProxyClass, ResourceSet } from '../../src/translate/types';

export const RESOURCE_FILES = ['clusters', 'endpoints', 'listeners', 'routes'] as const;
export type ResourceFile = (typeof RESOURCE_FILES)[number];

/** ECDS resources (EnvoyFilter EXTENSION_CONFIG): a case has this file only when it has some. */
export const EXTENSION_CONFIGS_FILE = 'extension_configs';

export interface GoldenCase {
  name: string;
  dir: string;
  input: string;
  inputFile: string;
  proxy: ProxyClass;
}

export function goldenCases(root = __dirname): GoldenCase[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const inputFile = join(dir, 'input.yaml');
      return { name, dir, inputFile, input: readFileSync(inputFile, 'utf8'), proxy: parse(readFileSync(join(dir, 'proxy.yaml'), 'utf8')) as ProxyClass };
    });
}

/** The snapshot of a case's input, and any finding that makes the input unfit for a golden case. */
export function snapshotOf(input: string, file: string): { snapshot: Snapshot; errors: string[] } {
  const { snapshot, diagnostics } = snapshotFromYaml(input, file);
  return { snapshot, errors: diagnostics.map((d) => `${d.code} ${d.field ?? ''}: ${d.message}`) };
}

/**
 * The sources beside each resource (not encoded, so not in the resource files), by type and name:
 * expected/sources.json.
 */
export function renderSources(set: ResourceSet): string {
  const byName = (list: ResourceSet[ResourceFile]) => Object.fromEntries(list.map((r) => [r.name, r.sources ?? []]));
  const all: Record<string, unknown> = Object.fromEntries(RESOURCE_FILES.map((file) => [file, byName(set[file])]));
  if (set.extensionConfigs?.length) all[EXTENSION_CONFIGS_FILE] = byName(set.extensionConfigs);
  return `${JSON.stringify(all, null, 2)}\n`;
}

/** Each resource type as the JSON array stored in expected/<type>.json; extension configs only where there are some. */
export function renderResources(set: ResourceSet): Record<ResourceFile, string> & { [EXTENSION_CONFIGS_FILE]?: string } {
  const render = (list: ResourceSet[ResourceFile]): string => `${JSON.stringify(list.map((r) => r.json), null, 2)}\n`;
  const ecds = set.extensionConfigs?.length ? { [EXTENSION_CONFIGS_FILE]: render(set.extensionConfigs) } : {};
  return { clusters: render(set.clusters), endpoints: render(set.endpoints), listeners: render(set.listeners), routes: render(set.routes), ...ecds };
}
