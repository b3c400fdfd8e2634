// Proxy views: what each proxy should have. A view is the union of translation parts
// (src/translate/parts.ts); each part is built and encoded once per part key, shared by every
// proxy with that key and kept until a kind of object its build read changes, and each distinct
// resource is encoded once.
import { createHash } from 'node:crypto';
import { SnapshotReads } from '../model/snapshot-reads';
import type { Kind, Snapshot } from '../model/types';
import type { TranslationPart } from '../translate/parts';
import type { NamedResource, ProxyClass, ResourceSet } from '../translate/types';
import { TYPE_URLS } from '../translate/types';
import { CompositeMap } from './composite-map';
import { PartMap } from './part-diff';
import { encodeAny } from './encode';
import { PUSH_ORDER, type TypeUrl } from './types';
import type { EncodedResource } from './wire';

export interface ProxyView {
  generation: number;
  resources: ReadonlyMap<TypeUrl, ReadonlyMap<string, EncodedResource>>;
  /** The JSON the resources were encoded from, for /debug/config_dump. */
  json(): ResourceSet;
}

export type PartsOf = (proxy: ProxyClass) => readonly TranslationPart[];

export interface ViewError {
  part: string;
  generation: number;
  message: string;
}

interface Logger {
  error(obj: object, msg: string): void;
}

interface Piece {
  resources: Map<TypeUrl, PartMap>;
  json: Partial<ResourceSet>;
  /** The snapshot generation it was built from, and the kinds of object its build read. */
  generation: number;
  reads: ReadonlySet<Kind> | undefined;
}

const EMPTY_PIECE: Piece = { resources: new Map(), json: {}, generation: 0, reads: undefined };

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

const NO_RESOURCES = new Map<string, EncodedResource>();

export class ViewCache {
  private snapshot: Snapshot | undefined;
  private views = new Map<string, ProxyView>();
  private pieces = new Map<string, Piece>();
  private lastGood = new Map<string, Piece>();
  private readonly interner = new EncodedInterner();
  readonly errors = new Map<string, ViewError>();

  constructor(private readonly partsOf: PartsOf, private readonly log: Logger) {}

  setSnapshot(snapshot: Snapshot): void {
    if (snapshot === this.snapshot) return;
    this.snapshot = snapshot;
    this.views = new Map();
    // Pieces no proxy asked for in the last generation are dropped with it.
    this.lastGood = this.pieces.size ? this.pieces : this.lastGood;
    this.pieces = new Map();
    this.interner.nextGeneration();
  }

  viewFor(proxy: ProxyClass): ProxyView {
    const key = classKey(proxy);
    let view = this.views.get(key);
    if (!view) {
      view = this.compose(this.partsOf(proxy).map((part) => this.piece(part, proxy)));
      this.views.set(key, view);
    }
    return view;
  }

  private compose(pieces: Piece[]): ProxyView {
    const resources = new Map<TypeUrl, ReadonlyMap<string, EncodedResource>>();
    for (const typeUrl of PUSH_ORDER) {
      const maps = pieces.map((p) => p.resources.get(typeUrl)).filter((m): m is PartMap => m !== undefined && m.size > 0);
      resources.set(typeUrl, maps.length === 1 ? maps[0]! : maps.length ? new CompositeMap(maps) : NO_RESOURCES);
    }
    return {
      generation: this.snapshot?.generation ?? 0,
      resources,
      json: () => {
        const all = (field: keyof ResourceSet) => pieces.flatMap((p) => p.json[field] ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return { clusters: all('clusters'), endpoints: all('endpoints'), listeners: all('listeners'), routes: all('routes') };
      },
    };
  }

  private piece(part: TranslationPart, proxy: ProxyClass): Piece {
    const key = `${part.name}\0${this.snapshot ? part.key(proxy, this.snapshot) : ''}`;
    let piece = this.pieces.get(key);
    if (piece) return piece;
    piece = this.build(key, part, proxy);
    this.pieces.set(key, piece);
    return piece;
  }

  private build(key: string, part: TranslationPart, proxy: ProxyClass): Piece {
    const snapshot = this.snapshot;
    if (!snapshot) return EMPTY_PIECE;
    const last = this.lastGood.get(key);
    // Nothing it read has changed: the same piece, down to its maps, which streams holding them
    // then skip without a look. An endpoint change rebuilds the services part and nothing else.
    if (last?.reads && !snapshot.changedSince(last.reads, last.generation)) return last;
    try {
      const reads = new SnapshotReads(snapshot);
      const json = part.build(reads, proxy);
      const resources = new Map<TypeUrl, PartMap>();
      const before = last?.resources;
      for (const [field, typeUrl] of SET_TYPES) {
        const list = json[field];
        if (!list?.length) continue;
        const map = new PartMap(list.map((r) => [r.name, this.interner.get(typeUrl, r)]));
        const previous = before?.get(typeUrl);
        if (previous) map.follow(previous);
        resources.set(typeUrl, map);
      }
      this.errors.delete(key);
      return { resources, json, generation: snapshot.generation, reads: reads.kinds() };
    } catch (err) {
      // A translation or encoding failure is a Mast bug, never a reason to stop serving: the
      // part keeps its last good piece and the failure is visible in the log and /debug.
      const message = err instanceof Error ? err.message : String(err);
      this.errors.set(key, { part: key.replace('\0', ' '), generation: snapshot.generation, message });
      this.log.error({ part: part.name, generation: snapshot.generation, err: message }, 'translation failed; serving the last good config');
      return last ?? EMPTY_PIECE;
    }
  }
}
