// Proxy views: what each proxy should have. A view is the union of translation parts
// (src/translate/parts.ts); each part is built and encoded once per part key, shared by every
// proxy with that key and kept until something its build read changes (a part built per service
// builds again only the services whose reads changed, member-pieces.ts), and each distinct
// resource is checked against what Envoy enforces (./validate) and encoded once. Nothing Envoy
// would reject is sent: the objects it came from are served at their last good version, or left
// out of the part (checked-build.ts).
import { createHash } from 'node:crypto';
import { formatDiagnostic } from '../model/errors';
import { SnapshotReads, type Reads } from '../model/snapshot-reads';
import { refKey, type Diagnostic, type Snapshot } from '../model/types';
import type { TranslationPart } from '../translate/parts';
import type { NamedResource, ProxyClass, ResourceSet } from '../translate/types';
import { CompositeMap } from './composite-map';
import { PartMap } from './part-diff';
import { encodeAny } from './encode';
import { LastServed, SET_TYPES, type Checked } from './checked-build';
import { buildMembers, membersOutput, membersReads, type Members } from './member-pieces';
import { buildTraced, traceBuild } from './build-spans';
import { MAST_LIMITS, validateResource } from './validate';
import { PUSH_ORDER, sameItems, type TypeUrl } from './types';
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
  /** What was left out because Envoy would reject it (MAST4001). */
  findings: readonly Diagnostic[];
  /** The snapshot generation it was built from, and what its build read. */
  generation: number;
  reads: Reads | undefined;
  /** A part built per service: each member's output and reads, to build again only those that changed. */
  members?: Members;
}

/** A proxy class's piece keys, one per part in `parts` order, and what working them out read. */
interface PartKeys {
  parts: readonly TranslationPart[];
  keys: readonly string[];
  /** The keys as one: classes with equal piece keys have one view. */
  view: string;
  reads: Reads | undefined;
  generation: number;
}

const EMPTY_PIECE: Piece = { resources: new Map(), json: {}, findings: [], generation: 0, reads: undefined };

/** A view and the pieces it was composed of. */
interface Composed {
  view: ProxyView;
  pieces: readonly Piece[];
}

export function classKey(p: ProxyClass): string {
  const labels = Object.keys(p.labels).sort().map((k) => `${k}=${p.labels[k]}`).join(',');
  return [p.role, p.namespace, labels, p.ips.join(','), p.interceptionMode, p.localAddress, p.outboundAddress].join('|');
}

/**
 * Interns checked and encoded resources by content. Entries survive one generation unused, so a
 * rebuild that reproduces a resource reuses its check and bytes instead of doing them again.
 */
class EncodedInterner {
  private current = new Map<string, Checked>();
  private previous = new Map<string, Checked>();

  nextGeneration(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  get(typeUrl: string, r: NamedResource): Checked {
    const key = `${typeUrl}\n${JSON.stringify(r.json)}`;
    let hit = this.current.get(key);
    if (hit) return hit;
    hit = this.previous.get(key);
    if (!hit) {
      const violations = validateResource(typeUrl, r.json, MAST_LIMITS);
      if (violations.length > 0) hit = violations;
      else {
        const any = encodeAny(typeUrl, r.json);
        hit = { name: r.name, any, version: createHash('sha256').update(any).digest('base64url').slice(0, 16) };
      }
    }
    this.current.set(key, hit);
    return hit;
  }
}


const NO_RESOURCES = new Map<string, EncodedResource>();

function partKeys(parts: readonly TranslationPart[], keys: readonly string[], reads: Reads | undefined, generation: number): PartKeys {
  return { parts, keys, view: JSON.stringify(keys), reads, generation };
}

export class ViewCache {
  private snapshot: Snapshot | undefined;
  /**
   * Views by their piece keys (PartKeys.view), composed in this generation and in the last
   * (compose). Proxies whose pieces are the same share one: the pods of a deployment, which differ
   * in their IPs, which under capture and with numbered target ports no piece reads (parts.ts).
   */
  private views = new Map<string, Composed>();
  private lastViews = new Map<string, Composed>();
  /**
   * Class keys by proxy object: a stream's proxy stays the same object from push to push while
   * its Pod does (identity.ts), so the key is not joined again for every stream on every push.
   */
  private readonly classKeys = new WeakMap<ProxyClass, string>();
  private pieces = new Map<string, Piece>();
  private lastGood = new Map<string, Piece>();
  /** Piece keys by proxy class, asked for in this generation and in the last (keysFor). */
  private partKeys = new Map<string, PartKeys>();
  private lastPartKeys = new Map<string, PartKeys>();
  private readonly interner = new EncodedInterner();
  private readonly lastServed = new LastServed();
  readonly errors = new Map<string, ViewError>();

  private findingsListener: (() => void) | undefined;
  private findingsNotice = false;

  /**
   * Calls `listener` (once per tick) when a piece built with findings, or replacing one that had
   * some, enters the cache: a proxy connecting at start-up can reveal them before any push.
   */
  onFindings(listener: () => void): void {
    this.findingsListener = listener;
  }

  /**
   * What was left out of the pieces proxies asked for in this generation because Envoy would
   * reject it (MAST4001), each once.
   */
  findings(): Diagnostic[] {
    const found = new Map<string, Diagnostic>();
    for (const piece of this.pieces.values()) for (const d of piece.findings) found.set(formatDiagnostic(d), d);
    return [...found.values()];
  }

  constructor(private readonly partsOf: PartsOf, private readonly log: Logger) {}

  setSnapshot(snapshot: Snapshot): void {
    if (snapshot === this.snapshot) return;
    if (this.snapshot) this.lastServed.advance(this.snapshot, new Set(this.findings().flatMap((d) => (d.object ? [refKey(d.object)] : []))));
    this.snapshot = snapshot;
    this.lastViews = this.views.size ? this.views : this.lastViews;
    this.views = new Map();
    // Pieces no proxy asked for in the last generation are dropped with it.
    this.lastGood = this.pieces.size ? this.pieces : this.lastGood;
    this.pieces = new Map();
    this.lastPartKeys = this.partKeys.size ? this.partKeys : this.lastPartKeys;
    this.partKeys = new Map();
    this.interner.nextGeneration();
  }

  viewFor(proxy: ProxyClass): ProxyView {
    let key = this.classKeys.get(proxy);
    if (key === undefined) this.classKeys.set(proxy, (key = classKey(proxy)));
    const parts = this.partsOf(proxy);
    const { keys, view } = this.keysFor(key, parts, proxy);
    let composed = this.views.get(view);
    if (!composed) {
      composed = this.compose(parts.map((part, i) => this.piece(part, proxy, keys[i]!)), this.lastViews.get(view));
      this.views.set(view, composed);
    }
    return composed.view;
  }

  /**
   * The keys of the proxy class's pieces, worked out again only when something they read has
   * changed (SnapshotReads, as for pieces): a key reads the proxy and what selects it (Sidecars,
   * EnvoyFilters, Telemetry, rule and route selectors), so an endpoint change leaves every proxy's
   * keys as they were. Working them out for every proxy on every push was about a tenth of the
   * server's CPU in a SotW churn at 500 proxies.
   */
  private keysFor(classKey: string, parts: readonly TranslationPart[], proxy: ProxyClass): PartKeys {
    const snapshot = this.snapshot;
    if (!snapshot) return partKeys(parts, parts.map((part) => `${part.name}\0`), undefined, 0);
    const known = this.partKeys.get(classKey) ?? this.lastPartKeys.get(classKey);
    if (known?.reads && known.parts === parts && !SnapshotReads.changed(snapshot, known.reads, known.generation)) {
      this.partKeys.set(classKey, known);
      return known;
    }
    const reads = new SnapshotReads(snapshot);
    const keys = parts.map((part) => `${part.name}\0${part.key(proxy, reads)}`);
    const read = reads.reads();
    // SnapshotReads leaves an empty EnvoyFilter list unnoted (a build need not depend on it), but
    // the first EnvoyFilter to select a proxy is exactly what changes its keys.
    const found = partKeys(parts, keys, read && { kinds: new Set([...read.kinds, 'EnvoyFilter']), keys: read.keys }, snapshot.generation);
    if (read) this.partKeys.set(classKey, found);
    return found;
  }

  /**
   * The view of `pieces`. What the `last` view of the same piece keys was composed of is reused:
   * all of it when every piece is the same (a push that changed nothing these proxies see), else
   * each type's map whose part maps are the same (an endpoint change leaves the listeners' and
   * clusters'). A push to 2000 sidecars with views of their own (pieces that read their IPs)
   * otherwise made 2000 new views whose maps lived a generation, long enough to reach V8's old
   * space, and grew it between major GCs.
   */
  private compose(pieces: Piece[], last: Composed | undefined): Composed {
    const generation = this.snapshot?.generation ?? 0;
    if (last && sameItems(last.pieces, pieces)) return { pieces, view: last.view.generation === generation ? last.view : { ...last.view, generation } };
    const resources = new Map<TypeUrl, ReadonlyMap<string, EncodedResource>>();
    for (const typeUrl of PUSH_ORDER) {
      const maps: PartMap[] = [];
      for (const p of pieces) {
        const m = p.resources.get(typeUrl);
        if (m !== undefined && m.size > 0) maps.push(m);
      }
      const before = last?.view.resources.get(typeUrl);
      if (before instanceof CompositeMap && sameItems(before.parts, maps)) resources.set(typeUrl, before);
      else resources.set(typeUrl, maps.length === 1 ? maps[0]! : maps.length ? new CompositeMap(maps) : NO_RESOURCES);
    }
    const view: ProxyView = {
      generation,
      resources,
      json: () => {
        const all = (field: keyof ResourceSet) => pieces.flatMap((p) => p.json[field] ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const extensionConfigs = all('extensionConfigs');
        return { clusters: all('clusters'), endpoints: all('endpoints'), listeners: all('listeners'), routes: all('routes'), ...(extensionConfigs.length ? { extensionConfigs } : {}) };
      },
    };
    return { pieces, view };
  }

  private piece(part: TranslationPart, proxy: ProxyClass, key: string): Piece {
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
    // then skip without a look. An endpoint change rebuilds the per-service pieces of the one
    // service whose EndpointSlices changed, and nothing else.
    if (last?.reads && !SnapshotReads.changed(snapshot, last.reads, last.generation)) return last;
    try {
      // A part built per service keeps its unchanged members; one that has no members for this
      // proxy, or whose rebuilt members hold something Envoy would reject, is built whole below,
      // where a rejection takes its culprits out (checked-build.ts) as for any part.
      const byMembers = part.members && traceBuild(part.name, proxy, () => this.byMembers(part, proxy, snapshot, last));
      if (byMembers) {
        this.errors.delete(key);
        if ((last?.findings.length ?? 0) > 0) this.noticeFindings();
        return byMembers;
      }
      const reads = new SnapshotReads(snapshot);
      const { json, encoded, findings } = buildTraced(part, reads, proxy, (typeUrl, r) => this.interner.get(typeUrl, r), this.lastServed);
      const resources = new Map<TypeUrl, PartMap>();
      const before = last?.resources;
      for (const [typeUrl, list] of encoded) {
        const map = new PartMap(list);
        const previous = before?.get(typeUrl);
        if (previous) map.follow(previous);
        resources.set(typeUrl, map);
      }
      this.errors.delete(key);
      if (findings.length > 0 || (last?.findings.length ?? 0) > 0) this.noticeFindings();
      return { resources, json, findings, generation: snapshot.generation, reads: reads.reads() };
    } catch (err) {
      // A translation or encoding failure is a Mast bug, never a reason to stop serving: the
      // part keeps its last good piece and the failure is visible in the log and /debug.
      const message = err instanceof Error ? err.message : String(err);
      this.errors.set(key, { part: key.replace('\0', ' '), generation: snapshot.generation, message });
      this.log.error({ part: part.name, generation: snapshot.generation, err: message }, 'translation failed; serving the last good config');
      return last ?? EMPTY_PIECE;
    }
  }

  /**
   * `part` built by members (member-pieces.ts): only the rebuilt members' resources are checked,
   * encoded and written into copies of the last piece's maps, which then name just those as
   * changed. Undefined when the part is to be built whole.
   */
  private byMembers(part: TranslationPart, proxy: ProxyClass, snapshot: Snapshot, last: Piece | undefined): Piece | undefined {
    const members = buildMembers(part, snapshot, proxy, last?.members);
    if (!members) return undefined;
    for (const key of members.rebuilt) {
      const member = members.built.get(key)!;
      if (member.output.findings?.length) return undefined;
      const encoded = new Map<TypeUrl, [string, EncodedResource][]>();
      for (const [field, typeUrl] of SET_TYPES) {
        for (const r of member.output[field] ?? []) {
          const checked = this.interner.get(typeUrl, r);
          if (Array.isArray(checked)) return undefined;
          const list = encoded.get(typeUrl);
          if (list) list.push([r.name, checked as EncodedResource]);
          else encoded.set(typeUrl, [[r.name, checked as EncodedResource]]);
        }
      }
      member.encoded = encoded;
    }
    const encodedOf = (built: Members['built'], key: string, typeUrl: TypeUrl) => built.get(key)?.encoded?.get(typeUrl) ?? [];
    const resources = new Map<TypeUrl, PartMap>();
    const was = last?.members?.built;
    if (!members.listed && was && last) {
      const types = new Set([...last.resources.keys(), ...members.rebuilt.flatMap((k) => [...members.built.get(k)!.encoded!.keys()])]);
      for (const typeUrl of types) {
        const removed = members.rebuilt.flatMap((k) => encodedOf(was, k, typeUrl).map(([name]) => name));
        const set = members.rebuilt.flatMap((k) => encodedOf(members.built, k, typeUrl));
        resources.set(typeUrl, PartMap.patched(last.resources.get(typeUrl) ?? new PartMap(), removed, set));
      }
    } else {
      for (const [, typeUrl] of SET_TYPES) {
        const list = members.list.flatMap((m) => encodedOf(members.built, m.key, typeUrl));
        if (list.length === 0) continue;
        const map = new PartMap(list);
        const previous = last?.resources.get(typeUrl);
        if (previous) map.follow(previous);
        resources.set(typeUrl, map);
      }
    }
    let json: Partial<ResourceSet> | undefined;
    return {
      resources,
      // Only /debug/config_dump reads the JSON: joined when asked.
      get json() {
        return (json ??= membersOutput(members));
      },
      findings: [],
      generation: snapshot.generation,
      reads: membersReads(members),
      members,
    };
  }

  private noticeFindings(): void {
    if (this.findingsNotice || !this.findingsListener) return;
    this.findingsNotice = true;
    queueMicrotask(() => {
      this.findingsNotice = false;
      this.findingsListener?.();
    });
  }
}
