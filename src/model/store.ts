// The one place every source writes to. It keeps, per object, the latest version each source
// gave and the last version that made it into a snapshot, so a bad edit never takes working
// configuration away; and it only moves the generation when the snapshot really changes.
import { EventEmitter } from 'node:events';
import { diagnostic, formatOrigin } from './errors';
import { FindingsLog } from './findings-log';
import { silentLogger, type Logger } from './log';
import type { RawObject } from './parse/documents';
import { parseObject, type ParsedObject } from './parse/object';
import { groupByKind, MeshIndexes, MeshSnapshot } from './snapshot';
import { refKey, refOf, type Diagnostic, type Kind, type MeshObject, type MeshSettings, type ObjectRef, type Origin, type Service, type Snapshot } from './types';
import { ROOT_NAMESPACE } from './destination-rules';
import { creationOrder, type Admissions } from './creation-order';
import { clusterIPConflicts } from './validate/cluster-ips';
import { crossObjectFindings } from './validate/cross-object';
import { EndpointChanges } from './endpoint-changes';
import { KeyChanges } from './key-changes';

export interface ConfigStoreOptions {
  log?: Logger;
  /** The cluster DNS suffix, `cluster.local` by default. */
  domain?: string;
  /** The SPIFFE trust domain of workload identities, `cluster.local` by default. */
  trustDomain?: string;
  /** Istio's root namespace (mesh-wide policies), `istio-system` by default. */
  rootNamespace?: string;
  /** `--mesh-config FILE`: the mesh config comes from this file alone, no `istio` ConfigMap read elsewhere counts (ParseOptions). */
  meshConfigFile?: string;
}

interface Source {
  /** By `Kind/namespace/name` (or, for what cannot be identified, by where it was read). */
  objects: Map<string, ParsedObject>;
  /** Findings about the source itself (malformed YAML, unreadable file) and its duplicates. */
  findings: Diagnostic[];
  /** Among sources defining the same object, the lowest rank wins when none of them is serving it yet. */
  rank: number;
}

/**
 * `change`: the snapshot changed. `findings`: what is wrong changed (an invalid new version of an
 * object changes the findings but not the snapshot, which keeps its last good version).
 */
export class ConfigStore extends EventEmitter<{ change: [generation: number, keys: readonly string[]]; findings: [findings: readonly Diagnostic[]] }> {
  readonly domain: string;
  private readonly mesh: MeshSettings;
  private readonly sources = new Map<string, Source>();
  /** The version of each object in the current snapshot, kept while the object exists anywhere. */
  private readonly accepted = new Map<string, MeshObject>();
  private current: MeshSnapshot;
  private findings: Diagnostic[] = [];
  private readonly findingsLog: FindingsLog;
  /** Key -> fingerprint of every object in the current snapshot. */
  private fingerprints = new Map<string, string>();
  private readonly kindChangedAt = new Map<Kind, number>();
  /** When each fine read key (snapshot-reads.ts) changed, shared by every snapshot (key-changes.ts). */
  private readonly keyChanges = new KeyChanges();
  private readonly endpointChanges = new EndpointChanges();
  /** Writes since the last rebuild. Rebuilding once per tick, not per write, keeps bulk loads linear. */
  private dirty = false;
  /** Key -> the source whose definition of the object is served: it keeps serving it while it has one. */
  private readonly owners = new Map<string, string>();
  /**
   * Key -> the generation in which the object first entered a snapshot, kept while it stays: its
   * place in creation order when it has no creationTimestamp (src/model/creation-order.ts).
   */
  private readonly admissions = new Map<string, number>();

  readonly meshConfigFile?: string;

  constructor(options: ConfigStoreOptions = {}) {
    super();
    this.domain = options.domain ?? 'cluster.local';
    if (options.meshConfigFile !== undefined) this.meshConfigFile = options.meshConfigFile;
    this.mesh = { domain: this.domain, trustDomain: options.trustDomain ?? 'cluster.local', rootNamespace: options.rootNamespace ?? ROOT_NAMESPACE };
    this.findingsLog = new FindingsLog(options.log ?? silentLogger);
    this.current = new MeshSnapshot(0, new MeshIndexes(groupByKind([]), this.mesh));
  }

  /** Istio's root namespace: its `istio` ConfigMap is the mesh config (ParseOptions). */
  get rootNamespace(): string {
    return this.mesh.rootNamespace;
  }

  get generation(): number {
    this.flush();
    return this.current.generation;
  }

  /**
   * Everything `sourceId` (a file, say) contributes, replacing what it gave before; an empty list
   * withdraws it. `findings` are about the source itself: errors among them (a malformed YAML
   * document, an unreadable file) mean part of it could not be read, and whatever it had before
   * and lacks now is kept, since it may be in that part. `rank` orders sources that define the
   * same object when neither is serving it yet (file mode passes the file's creation time, so
   * the older file wins, as the older object wins a conflict in Istio); ties go by sourceId.
   */
  replaceSource(sourceId: string, raws: readonly RawObject[], findings: readonly Diagnostic[] = [], rank = 0): void {
    const source: Source = { objects: new Map(), findings: [...findings], rank };
    for (const { raw, origin } of raws) {
      const parsed = parseObject(raw, origin, this);
      const first = source.objects.get(parsed.id);
      if (!parsed.ref) source.findings.push(...parsed.diagnostics);
      else if (first) source.findings.push(duplicateOf(parsed.ref, origin, first));
      else source.objects.set(parsed.id, parsed);
    }
    const previous = this.sources.get(sourceId);
    if (previous && findings.some((d) => d.severity === 'error')) {
      for (const [id, parsed] of previous.objects) if (!source.objects.has(id)) source.objects.set(id, parsed);
    }
    if (source.objects.size || source.findings.length) this.sources.set(sourceId, source);
    else this.sources.delete(sourceId);
    this.touch();
  }

  /** One object added or changed, as a Kubernetes informer reports it. */
  upsert(sourceId: string, raw: unknown, origin: Origin): void {
    const parsed = parseObject(raw, origin, this);
    const source = this.sources.get(sourceId) ?? { objects: new Map(), findings: [], rank: 0 };
    source.objects.set(parsed.id, parsed);
    this.sources.set(sourceId, source);
    this.touch();
  }

  remove(sourceId: string, ref: ObjectRef): void {
    const source = this.sources.get(sourceId);
    if (!source?.objects.delete(refKey(ref))) return;
    if (!source.objects.size && !source.findings.length) this.sources.delete(sourceId);
    this.touch();
  }

  /** Reflects every write made so far, also those of the current tick. */
  snapshot(): Snapshot {
    this.flush();
    return this.current;
  }

  /**
   * The snapshot as it would be with `object` in it, replacing the object of the same kind,
   * namespace and name: what admission checks a new version against before it exists.
   */
  preview(object: MeshObject): Snapshot {
    this.flush();
    const key = refKey(refOf(object));
    const others = [...this.accepted].filter(([k]) => k !== key).map(([, o]) => o);
    // A new object has no admission yet, so it comes after every other: it is the newest.
    const objects = this.served([...others, object], this.admissions);
    return new MeshSnapshot(this.current.generation, new MeshIndexes(groupByKind(objects.values(), this.admissions), this.mesh));
  }

  /** What is wrong right now, ordered by file (or API path) and document. */
  diagnostics(): Diagnostic[] {
    this.flush();
    return [...this.findings];
  }

  /** `change` is emitted from here: at the end of the tick of the writes, or on the first read after them. */
  private touch(): void {
    if (this.dirty) return;
    this.dirty = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.rebuild();
  }

  private rebuild(): void {
    const findings: Diagnostic[] = [];
    const winners = this.winners(findings);
    const accepted = this.admit(winners);
    for (const key of this.accepted.keys()) if (!winners.has(key)) this.accepted.delete(key);
    for (const [key, object] of accepted) this.accepted.set(key, object);
    // An object entering the snapshot now enters the generation this rebuild makes (a new object
    // always changes the snapshot); objects entering together share it and fall back on names.
    for (const key of this.admissions.keys()) if (!accepted.has(key)) this.admissions.delete(key);
    for (const key of accepted.keys()) if (!this.admissions.has(key)) this.admissions.set(key, this.current.generation + 1);

    const objects = this.served(accepted.values(), this.admissions, findings);
    const indexes = new MeshIndexes(groupByKind(objects.values(), this.admissions), this.mesh);
    findings.push(...crossObjectFindings(indexes, this.domain));
    const fingerprints = new Map([...objects].map(([key, object]) => [key, fingerprint(object)]));
    const keys = changedKeys(this.fingerprints, fingerprints);
    const kinds = new Set(keys.map(kindOfKey));
    const changed = keys.length > 0;
    if (changed) {
      const generation = this.current.generation + 1;
      for (const kind of kinds) this.kindChangedAt.set(kind, generation);
      this.keyChanges.note([...this.endpointChanges.advance(keys, objects)], generation);
      this.fingerprints = fingerprints;
      this.current = new MeshSnapshot(generation, indexes, new Map(this.kindChangedAt), this.keyChanges);
    }
    this.report(findings.sort(byOrigin));
    // The keys (Kind/namespace/name) name what changed, for traces of the push it causes.
    if (changed) this.emit('change', this.current.generation, keys);
  }

  /**
   * For each object, one definition: the one already served, as long as its source still has it,
   * so a copy added later never takes over live config; otherwise the first source by (rank,
   * sourceId). Collects every source's findings, each winner's, and a warning for each copy that
   * lost.
   */
  private winners(findings: Diagnostic[]): Map<string, ParsedObject> {
    const order = [...this.sources.entries()].sort(([a, x], [b, y]) => x.rank - y.rank || (a < b ? -1 : a > b ? 1 : 0));
    const candidates = new Map<string, { sourceId: string; parsed: ParsedObject }[]>();
    for (const [sourceId, source] of order) {
      findings.push(...source.findings);
      for (const [key, parsed] of source.objects) {
        const list = candidates.get(key);
        if (list) list.push({ sourceId, parsed });
        else candidates.set(key, [{ sourceId, parsed }]);
      }
    }
    const winners = new Map<string, ParsedObject>();
    for (const [key, list] of candidates) {
      const winner = list.find((c) => c.sourceId === this.owners.get(key)) ?? (list[0] as { sourceId: string; parsed: ParsedObject });
      winners.set(key, winner.parsed);
      this.owners.set(key, winner.sourceId);
      findings.push(...winner.parsed.diagnostics);
      for (const loser of list) if (loser !== winner && loser.parsed.ref) findings.push(duplicateOf(loser.parsed.ref, loser.parsed.origin, winner.parsed));
    }
    for (const key of this.owners.keys()) if (!candidates.has(key)) this.owners.delete(key);
    return winners;
  }

  /** The version of each object that goes into the snapshot: its latest valid version, else the one in the current snapshot. */
  private admit(winners: Map<string, ParsedObject>): Map<string, MeshObject> {
    const objects = new Map<string, MeshObject>();
    for (const [key, parsed] of winners) {
      const version = parsed.object ?? this.accepted.get(key);
      if (version) objects.set(key, version);
    }
    return objects;
  }

  /**
   * What the snapshot serves of `objects`, by key: each as accepted, but a Service whose clusterIP
   * an older Service has is served without it (MAST2105 into `findings`), as the API server would
   * never have allocated it the address; it cannot then take the older one's domain.
   */
  private served(objects: Iterable<MeshObject>, admissions: Admissions, findings: Diagnostic[] = []): Map<string, MeshObject> {
    const list = [...objects];
    const services = list.filter((o): o is Service => o.kind === 'Service').sort(creationOrder(admissions));
    const conflicts = clusterIPConflicts(services);
    findings.push(...conflicts.findings);
    return new Map(list.map((o) => [refKey(refOf(o)), o.kind === 'Service' && conflicts.losers.has(o) ? withoutClusterIP(o) : o]));
  }

  private report(findings: Diagnostic[]): void {
    this.findings = findings;
    if (this.findingsLog.report(findings)) this.emit('findings', findings);
  }
}

const unaddressed = new WeakMap<Service, Service>();

/** `service` without its clusterIP, the same object each time, so that snapshots share it. */
function withoutClusterIP(service: Service): Service {
  let copy = unaddressed.get(service);
  if (!copy) {
    const fresh: Service = { ...service };
    delete fresh.clusterIP;
    copy = Object.freeze(fresh);
    unaddressed.set(service, copy);
  }
  return copy;
}

function duplicateOf(ref: ObjectRef, origin: Origin, first: ParsedObject): Diagnostic {
  return diagnostic('MAST1010', `${refKey(ref)} is already defined at ${formatOrigin(first.origin)}; this definition is ignored`, {
    object: ref,
    origin,
    field: 'metadata.name',
  });
}

const fingerprintCache = new WeakMap<MeshObject, string>();

/** The object's content as canonical JSON: equal content, equal fingerprint, whatever the key order. */
function fingerprint(object: MeshObject): string {
  let f = fingerprintCache.get(object);
  if (f === undefined) {
    f = JSON.stringify(object, (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
    );
    fingerprintCache.set(object, f);
  }
  return f;
}

/** The keys (`Kind/ns/name`) of the objects added, changed or removed between two fingerprint maps. */
function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys: string[] = [];
  for (const [key, f] of after) if (before.get(key) !== f) keys.push(key);
  for (const key of before.keys()) if (!after.has(key)) keys.push(key);
  return keys;
}

const kindOfKey = (key: string): Kind => key.slice(0, key.indexOf('/')) as Kind;

function byOrigin(a: Diagnostic, b: Diagnostic): number {
  const where = (d: Diagnostic) => d.origin?.file ?? d.origin?.apiPath ?? '';
  return where(a).localeCompare(where(b)) || (a.origin?.doc ?? 0) - (b.origin?.doc ?? 0);
}
