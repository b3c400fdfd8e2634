// Proxy views: what each proxy class should have, translated once per (snapshot, class) and
// encoded once per distinct resource. Proxies of one class share the view object itself.
import { createHash } from 'node:crypto';
import type { Snapshot } from '../model/types';
import type { NamedResource, ProxyClass, ResourceSet } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import { encodeAny } from './encode';
import type { TypeUrl } from './types';
import type { EncodedResource } from './wire';

export interface ProxyView {
  generation: number;
  resources: ReadonlyMap<TypeUrl, ReadonlyMap<string, EncodedResource>>;
  /** The JSON the resources were encoded from, for /debug/config_dump. */
  json: ResourceSet;
}

export type Translator = (snapshot: Snapshot, proxy: ProxyClass) => ResourceSet;

export interface ViewError {
  classKey: string;
  generation: number;
  message: string;
}

interface Logger {
  error(obj: object, msg: string): void;
}

export function classKey(p: ProxyClass): string {
  const labels = Object.keys(p.labels).sort().map((k) => `${k}=${p.labels[k]}`).join(',');
  return [p.role, p.namespace, labels, p.ips.join(','), p.interceptionMode, p.localAddress, p.outboundAddress].join('|');
}

const SET_TYPES: [keyof ResourceSet, TypeUrl][] = [
  ['clusters', TYPE_URLS.cluster],
  ['endpoints', TYPE_URLS.endpoint],
  ['listeners', TYPE_URLS.listener],
  ['routes', TYPE_URLS.route],
];

/**
 * Interns encoded resources by content. Entries survive one generation unused, so a rebuild
 * that reproduces a resource reuses its bytes instead of encoding it again.
 */
class EncodedInterner {
  private current = new Map<string, EncodedResource>();
  private previous = new Map<string, EncodedResource>();

  nextGeneration(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  get(typeUrl: string, r: NamedResource): EncodedResource {
    const key = `${typeUrl}\n${JSON.stringify(r.json)}`;
    let hit = this.current.get(key);
    if (hit) return hit;
    hit = this.previous.get(key);
    if (!hit) {
      const any = encodeAny(typeUrl, r.json);
      hit = { name: r.name, any, version: createHash('sha256').update(any).digest('base64url').slice(0, 16) };
    }
    this.current.set(key, hit);
    return hit;
  }
}

export class ViewCache {
  private snapshot: Snapshot | undefined;
  private views = new Map<string, ProxyView>();
  private lastGood = new Map<string, ProxyView>();
  private readonly interner = new EncodedInterner();
  readonly errors = new Map<string, ViewError>();

  constructor(private readonly translate: Translator, private readonly log: Logger) {}

  get generation(): number {
    return this.snapshot?.generation ?? 0;
  }

  setSnapshot(snapshot: Snapshot): void {
    if (snapshot === this.snapshot) return;
    this.snapshot = snapshot;
    this.views = new Map();
    this.interner.nextGeneration();
  }

  viewFor(proxy: ProxyClass): ProxyView {
    const key = classKey(proxy);
    let view = this.views.get(key);
    if (view) return view;
    view = this.build(key, proxy);
    this.views.set(key, view);
    return view;
  }

  private build(key: string, proxy: ProxyClass): ProxyView {
    const snapshot = this.snapshot;
    if (!snapshot) return emptyView();
    try {
      const json = this.translate(snapshot, proxy);
      const resources = new Map<TypeUrl, Map<string, EncodedResource>>();
      for (const [field, typeUrl] of SET_TYPES) {
        const byName = new Map<string, EncodedResource>();
        for (const r of json[field]) byName.set(r.name, this.interner.get(typeUrl, r));
        resources.set(typeUrl, byName);
      }
      this.errors.delete(key);
      const view = { generation: snapshot.generation, resources, json };
      this.lastGood.set(key, view);
      return view;
    } catch (err) {
      // A translation or encoding failure is a Mast bug, never a reason to stop serving: the
      // class keeps its last good view and the failure is visible in the log and /debug.
      const message = err instanceof Error ? err.message : String(err);
      this.errors.set(key, { classKey: key, generation: snapshot.generation, message });
      this.log.error({ classKey: key, generation: snapshot.generation, err: message }, 'translation failed; serving the last good config');
      return this.lastGood.get(key) ?? emptyView();
    }
  }
}

function emptyView(): ProxyView {
  return { generation: 0, resources: new Map(), json: { clusters: [], endpoints: [], listeners: [], routes: [] } };
}
