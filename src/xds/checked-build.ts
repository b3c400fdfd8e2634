// Building a translation part so that nothing Envoy would reject is in it. Each resource is checked
// (and encoded) once per distinct content by the cache's interner; when one would be rejected, the
// objects blamed for it (rejections.ts) are served at their last good version, or left out, and
// the part is built again, until it builds clean.
import { SnapshotOverlay } from '../model/snapshot-overlay';
import { refKey, refOf, type Diagnostic, type Kind, type MeshObject, type Snapshot } from '../model/types';
import type { TranslationPart } from '../translate/parts';
import { TYPE_URLS, type NamedResource, type ProxyClass, type ResourceSet } from '../translate/types';
import { blame, keptNote, patchBlame, refOfKey, rejectionFinding, withoutRejected, type Rejection } from './rejections';
import type { TypeUrl } from './types';
import type { Violation } from './validate';
import type { EncodedResource } from './wire';

/** A resource encoded, or the reasons Envoy would refuse it. */
export type Checked = EncodedResource | readonly Violation[];
export type Check = (typeUrl: TypeUrl, r: NamedResource) => Checked;

export interface CheckedPart {
  json: Partial<ResourceSet>;
  encoded: Map<TypeUrl, [string, EncodedResource][]>;
  /** MAST4001 for each object blamed, and for each resource sent no more. */
  findings: Diagnostic[];
}

/** Each resource field of a part's output, and its type. */
export const SET_TYPES: [keyof ResourceSet, TypeUrl][] = [
  ['clusters', TYPE_URLS.cluster],
  ['endpoints', TYPE_URLS.endpoint],
  ['listeners', TYPE_URLS.listener],
  ['routes', TYPE_URLS.route],
  ['extensionConfigs', TYPE_URLS.extensionConfig],
];

/** The kinds a user edits as configuration: these have a last good version worth serving. */
const CONFIG_KINDS: readonly Kind[] = ['VirtualService', 'DestinationRule', 'Gateway', 'EnvoyFilter'];

/**
 * The version of each configuration object last served in full, so that an edit Envoy would
 * reject (and that the model's checks let by) falls back to it, as a model error does, instead of
 * taking the object's routes away.
 */
export class LastServed {
  private versions = new Map<string, MeshObject>();

  /**
   * After a generation: each configuration object of `previous` that no finding blamed was served
   * as it was; one that was blamed keeps the version it had.
   */
  advance(previous: Snapshot, blamed: ReadonlySet<string>): void {
    const next = new Map<string, MeshObject>();
    for (const o of [...previous.virtualServices(), ...previous.destinationRules(), ...previous.gateways(), ...previous.envoyFilters()]) {
      const key = refKey(refOf(o));
      const served = blamed.has(key) ? this.versions.get(key) : o;
      if (served) next.set(key, served);
    }
    this.versions = next;
  }

  /** The last good version of the object keyed `key`, when it is not the version `snapshot` has. */
  for(key: string, snapshot: Snapshot): MeshObject | undefined {
    const ref = refOfKey(key);
    if (!CONFIG_KINDS.includes(ref.kind)) return undefined;
    const served = this.versions.get(key);
    return served && served !== snapshot.object(ref) ? served : undefined;
  }
}

/**
 * Builds `part` for `proxy` on `snapshot`, checking every resource. Each round blames the objects
 * behind every rejected field: one not blamed before is served at its last good version if it
 * has one, else left out; one blamed again is left out. A resource an EnvoyFilter patched is
 * blamed on its patches when it passes without them (MAST4002), and the patch stage's own
 * refusals (MAST4004) move their EnvoyFilter the same way. Each round moves at least one object,
 * so it ends; what still fails with nobody left to blame is not sent.
 */
export function buildChecked(part: TranslationPart, snapshot: Snapshot, proxy: ProxyClass, check: Check, lastServed: LastServed): CheckedPart {
  const overrides = new Map<string, MeshObject | null>();
  const blamed = new Map<string, { r?: Rejection; v?: Violation; field?: string; finding?: Diagnostic }>();
  const drop = (key: string): boolean => {
    if (overrides.get(key) === null) return false;
    overrides.set(key, overrides.has(key) ? null : (lastServed.for(key, snapshot) ?? null));
    return true;
  };
  for (;;) {
    const { findings: own = [], ...json } = part.build(overrides.size ? new SnapshotOverlay(snapshot, overrides) : snapshot, proxy);
    const encoded = new Map<TypeUrl, [string, EncodedResource][]>();
    const rejected: Rejection[] = [];
    for (const [field, typeUrl] of SET_TYPES) {
      for (const r of json[field] ?? []) {
        const checked = check(typeUrl, r);
        if (Array.isArray(checked)) rejected.push({ typeUrl, resource: r, violations: checked as readonly Violation[] });
        else {
          const list = encoded.get(typeUrl);
          if (list) list.push([r.name, checked as EncodedResource]);
          else encoded.set(typeUrl, [[r.name, checked as EncodedResource]]);
        }
      }
    }
    let moved = false;
    // The patch stage's own refusals (an EnvoyFilter breaking the HTTP filter order, MAST4004);
    // one EnvoyFilter may be refused on several chains, and moves once a round.
    const refused = new Set<string>();
    for (const d of own) {
      if (d.severity !== 'error' || !d.object || refused.has(refKey(d.object))) continue;
      refused.add(refKey(d.object));
      if (!drop(refKey(d.object))) continue;
      blamed.set(refKey(d.object), { finding: d });
      moved = true;
    }
    for (const r of rejected) {
      const patched = patchBlame(r, (original) => !Array.isArray(check(r.typeUrl as TypeUrl, original)), snapshot);
      if (patched) {
        for (const [key, finding] of patched) {
          if (refused.has(key)) continue;
          refused.add(key);
          if (!drop(key)) continue;
          blamed.set(key, { finding });
          moved = true;
        }
        continue;
      }
      for (const v of r.violations) {
        const { keys, field } = blame(r.resource, v);
        for (const key of keys) {
          if (!drop(key)) continue;
          blamed.set(key, { r, v, ...(field ? { field } : {}) });
          moved = true;
        }
      }
    }
    if (moved) continue;
    const findings = [...blamed].map(([key, { r, v, field, finding }]) =>
      finding ? keptNote(finding, overrides.get(key) !== null) : rejectionFinding(r!, v, snapshot, { key, ...(field ? { field } : {}), kept: overrides.get(key) !== null }),
    );
    findings.push(...rejected.map((r) => rejectionFinding(r, r.violations[0], snapshot)), ...own.filter((d) => d.severity !== 'error'));
    return { json: rejected.length ? withoutRejected(json, rejected) : json, encoded, findings };
  }
}
