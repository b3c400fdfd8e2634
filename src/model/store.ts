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
import { withChanges, type ObjectChange } from './kind-lists';
import { refKey, refOf, type Diagnostic, type Kind, type MeshObject, type MeshSettings, type ObjectRef, type Origin, type Service, type Snapshot } from './types';
import { ROOT_NAMESPACE } from './destination-rules';
import type { Admissions } from './creation-order';
import { fingerprint } from './fingerprint';
import { servedServices, ServedServices } from './served-services';
import { CrossObjectFindings } from './validate/cross-object';
import { EndpointChanges } from './endpoint-changes';
import { KeyChanges } from './key-changes';
import { Sources, type Source } from './store-sources';

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

/**
 * `change`: the snapshot changed. `findings`: what is wrong changed (an invalid new version of an
 * object changes the findings but not the snapshot, which keeps its last good version).
 */
export class ConfigStore extends EventEmitter<{ change: [generation: number, keys: readonly string[]]; findings: [findings: readonly Diagnostic[]] }> {
  readonly domain: string;
  private readonly mesh: MeshSettings;
  private readonly sources = new Sources();
  /** The version of each object in the current snapshot, kept while the object exists anywhere. */
  private readonly accepted = new Map<string, MeshObject>();
  private current: MeshSnapshot;
  private findings: Diagnostic[] = [];
  private readonly findingsLog: FindingsLog;
  /** Key -> every object in the current snapshot, as served (a Service may be served without its clusterIP). */
  private readonly serving = new Map<string, MeshObject>();
  /** The current snapshot's lookups, which the next snapshot's share where what they index did not change. */
  private indexes: MeshIndexes;
  /** Key -> its winning definition's findings and the duplicates that lost to it. */
  private readonly keyFindings = new Map<string, Diagnostic[]>();
  /** Services as served, and the findings of their clusterIP check (MAST2105), settled for the Services a change touches. */
  private readonly servedServices = new ServedServices();
  /** The cross-object checks, each rerun when a kind it reads changes, and their findings on the current snapshot. */
  private readonly crossObject: CrossObjectFindings;
  private crossFindings: Diagnostic[];
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
    this.indexes = new MeshIndexes(groupByKind([]), this.mesh);
    this.current = new MeshSnapshot(0, this.indexes);
    this.crossObject = new CrossObjectFindings(this.domain);
    this.crossFindings = this.crossObject.update(this.indexes);
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
    this.sources.set(sourceId, source.objects.size || source.findings.length ? source : undefined);
    this.touch();
  }

  /** One object added or changed, as a Kubernetes informer reports it. */
  upsert(sourceId: string, raw: unknown, origin: Origin): void {
    const parsed = parseObject(raw, origin, this);
    this.sources.put(sourceId, parsed);
    this.touch();
  }

  remove(sourceId: string, ref: ObjectRef): void {
    if (this.sources.drop(sourceId, refKey(ref))) this.touch();
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

  /**
   * The next snapshot from the objects written since the last: each written key's winner and
   * accepted version are settled again, and only objects whose served version changed move the
   * lists, the indexes and the findings of checks that read their kind. The rest is the current
   * snapshot's, shared. Equal to building from every object (test/model/store-incremental.test.ts).
   */
  private rebuild(): void {
    const admitting = this.current.generation + 1;
    const written = this.sources.takeWritten();
    const before = new Map(written.map((key) => [key, this.accepted.get(key)]));
    const moved = written.filter((key) => this.settle(key, admitting));
    const after = new Map<string, MeshObject | undefined>(moved.map((key) => [key, this.accepted.get(key)]));
    // A Service is served without a clusterIP an older one has: a change can move that between Services.
    const services = moved.filter((key) => kindOfKey(key) === 'Service').map((key) => [before.get(key), after.get(key)] as [Service | undefined, Service | undefined]);
    if (services.length) for (const [key, service] of this.servedServices.update(services, this.admissions)) after.set(key, service);

    const changes = new Map<Kind, ObjectChange[]>();
    const keys: string[] = [];
    for (const [key, object] of after) {
      const served = this.serving.get(key);
      if (served === object || (served && object && fingerprint(served) === fingerprint(object))) continue;
      keys.push(key);
      const kind = kindOfKey(key);
      const list = changes.get(kind);
      if (list) list.push([served, object]);
      else changes.set(kind, [[served, object]]);
      if (object) this.serving.set(key, object);
      else this.serving.delete(key);
    }
    if (keys.length > 0) {
      const generation = this.current.generation + 1;
      for (const kind of changes.keys()) this.kindChangedAt.set(kind, generation);
      this.keyChanges.note([...this.endpointChanges.advance(keys, this.serving)], generation);
      this.indexes = this.indexes.next(withChanges(this.indexes.objects, changes, this.admissions), changes);
      this.crossFindings = this.crossObject.update(this.indexes, new Set(changes.keys()));
      this.current = new MeshSnapshot(generation, this.indexes, new Map(this.kindChangedAt), this.keyChanges);
    }
    this.report(this.allFindings());
    // The keys (Kind/namespace/name) name what changed, for traces of the push it causes.
    if (keys.length > 0) this.emit('change', this.current.generation, keys);
  }

  /**
   * Settles the object `key` after writes: its definition (the one already served, as long as its
   * source still has it, so a copy added later never takes over live config; otherwise the first
   * source by (rank, sourceId)), its findings and a warning for each copy that lost, and its
   * accepted version: the winner's if valid, else the one in the current snapshot. An object
   * entering the snapshot is admitted in generation `admitting`. Returns whether the accepted
   * version changed (a new version equal to the old one keeps the old object).
   */
  private settle(key: string, admitting: number): boolean {
    const before = this.accepted.get(key);
    const list = this.sources.definitions(key);
    if (!list.length) {
      this.owners.delete(key);
      this.keyFindings.delete(key);
      this.accepted.delete(key);
      this.admissions.delete(key);
      return before !== undefined;
    }
    const winner = list.find((c) => c.sourceId === this.owners.get(key)) ?? list[0]!;
    this.owners.set(key, winner.sourceId);
    const findings = [...winner.parsed.diagnostics];
    for (const loser of list) if (loser !== winner && loser.parsed.ref) findings.push(duplicateOf(loser.parsed.ref, loser.parsed.origin, winner.parsed));
    if (findings.length) this.keyFindings.set(key, findings);
    else this.keyFindings.delete(key);
    let version = winner.parsed.object ?? before;
    if (version && before && version !== before && fingerprint(version) === fingerprint(before)) version = before;
    if (!version) {
      this.accepted.delete(key);
      this.admissions.delete(key);
      return before !== undefined;
    }
    this.accepted.set(key, version);
    if (!this.admissions.has(key)) this.admissions.set(key, admitting);
    return version !== before;
  }

  /** The findings as a full rebuild lists them: the sources', each object's, the clusterIP check's, the cross-object checks'; by file and document. */
  private allFindings(): Diagnostic[] {
    const keys = [...this.keyFindings.keys()].sort();
    return [
      ...this.sources.findings(),
      ...keys.flatMap((key) => this.keyFindings.get(key)!),
      ...this.servedServices.findings(),
      ...this.crossFindings,
    ].sort(byOrigin);
  }

  /** What the snapshot serves of `objects`, by key (served-services.ts). */
  private served(objects: Iterable<MeshObject>, admissions: Admissions): Map<string, MeshObject> {
    const list = [...objects];
    const services = new Map(servedServices(list.filter((o): o is Service => o.kind === 'Service'), admissions).served);
    return new Map(list.map((o) => [refKey(refOf(o)), (o.kind === 'Service' && services.get(o)) || o]));
  }

  private report(findings: Diagnostic[]): void {
    this.findings = findings;
    if (this.findingsLog.report(findings)) this.emit('findings', findings);
  }
}


function duplicateOf(ref: ObjectRef, origin: Origin, first: ParsedObject): Diagnostic {
  return diagnostic('MAST1010', `${refKey(ref)} is already defined at ${formatOrigin(first.origin)}; this definition is ignored`, {
    object: ref,
    origin,
    field: 'metadata.name',
  });
}


const kindOfKey = (key: string): Kind => key.slice(0, key.indexOf('/')) as Kind;


function byOrigin(a: Diagnostic, b: Diagnostic): number {
  const where = (d: Diagnostic) => d.origin?.file ?? d.origin?.apiPath ?? '';
  return where(a).localeCompare(where(b)) || (a.origin?.doc ?? 0) - (b.origin?.doc ?? 0);
}
