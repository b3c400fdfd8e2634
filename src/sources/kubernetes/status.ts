// Validation results written back to the Istio objects they are about, as an `Accepted`
// condition in `.status.conditions`, so `kubectl get virtualservice -o yaml` says why Mast is not
// serving one. Only the Lease holder writes (replicas would otherwise fight over every status).
// What is written is derived from the store's findings and compared with what the object already
// carries, so a new leader, or a replica restart, writes only what is out of date.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { formatFieldDiagnostic, refKey, type Diagnostic, type Logger, type ObjectRef } from '../../model';
import type { KindSink } from './informer';
import { refOfItem, type KubeItem, type WatchedKind } from './kinds';

export interface StatusCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

interface Tracked {
  kind: WatchedKind;
  ref: ObjectRef;
  generation?: number;
  condition?: StatusCondition;
}

export const ACCEPTED = 'Accepted';

/** After a failed write, the next attempt waits this long (the API server may be restarting). */
const RETRY_MS = 2000;

/** The condition an object should carry given the findings about it. */
export function acceptedCondition(findings: readonly Diagnostic[], generation: number | undefined, previous: StatusCondition | undefined): StatusCondition {
  const errors = findings.filter((d) => d.severity === 'error');
  const accepted = errors.length === 0;
  const told = accepted ? findings : errors;
  const message = accepted
    ? told.length ? `Accepted by Mast, with warnings: ${told.map(formatFieldDiagnostic).join('; ')}` : 'Accepted by Mast'
    : `Not served: ${told.map(formatFieldDiagnostic).join('; ')}.${
        // MAST4001 passed the model's checks, but Envoy would reject what it becomes; its own
        // message says what is served instead.
        told.every((d) => d.code === 'MAST4001') ? '' : ' The last accepted version, if any, is still served.'
      }`;
  const status = accepted ? 'True' : 'False';
  return {
    type: ACCEPTED,
    status,
    reason: accepted ? 'Accepted' : 'Invalid',
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : new Date().toISOString(),
  };
}

function sameCondition(a: StatusCondition | undefined, b: StatusCondition): boolean {
  return !!a && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;
}

function conditionOf(obj: KubeItem): StatusCondition | undefined {
  const status = (obj as { status?: { conditions?: StatusCondition[] } }).status;
  return status?.conditions?.find((c) => c.type === ACCEPTED);
}

export class StatusWriter implements KindSink {
  private readonly api: CustomObjectsApi;
  private readonly objects = new Map<string, Tracked>();
  private findings = new Map<string, Diagnostic[]>();
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private again = false;
  private retry = false;
  /** The last write error logged, so a failing API server is reported once, not per object. */
  private failing: string | undefined;

  constructor(
    kc: KubeConfig,
    private readonly log: Logger,
    private readonly delayMs = 200,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** An object as the informer has it now: its generation and the condition it carries. */
  upsert(kind: WatchedKind, obj: KubeItem): void {
    if (!kind.custom) return;
    const ref = refOfItem(kind, obj);
    const generation = (obj.metadata as { generation?: number } | undefined)?.generation;
    this.objects.set(refKey(ref), { kind, ref, generation, condition: conditionOf(obj) });
    this.schedule();
  }

  remove(kind: WatchedKind, obj: KubeItem): void {
    this.objects.delete(refKey(refOfItem(kind, obj)));
  }

  setFindings(findings: readonly Diagnostic[]): void {
    const byObject = new Map<string, Diagnostic[]>();
    for (const d of findings) {
      if (!d.object) continue;
      const key = refKey(d.object);
      byObject.set(key, [...(byObject.get(key) ?? []), d]);
    }
    this.findings = byObject;
    this.schedule();
  }

  /** This replica now holds the Lease: bring every status up to date. */
  start(): void {
    this.active = true;
    this.schedule();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Settles when no write is in flight (for shutdown). */
  async idle(): Promise<void> {
    await this.writing;
  }

  private schedule(delayMs = this.delayMs): void {
    if (!this.active || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writing) this.again = true;
      else this.writing = this.writeAll().finally(() => {
        this.writing = undefined;
        const retry = this.retry;
        if (this.again || retry) {
          this.again = false;
          this.retry = false;
          this.schedule(retry ? RETRY_MS : this.delayMs);
        }
      });
    }, delayMs);
  }

  private async writeAll(): Promise<void> {
    let failed = false;
    for (const [key, o] of this.objects) {
      if (!this.active) return;
      const desired = acceptedCondition(this.findings.get(key) ?? [], o.generation, o.condition);
      if (sameCondition(o.condition, desired)) continue;
      const [group = '', version = ''] = o.kind.apiVersion.split('/');
      try {
        await this.api.patchNamespacedCustomObjectStatus(
          { group, version, namespace: o.ref.namespace, plural: o.kind.plural, name: o.ref.name, body: { status: { conditions: [desired] } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        // The informer's update event confirms it; until then, do not write it again.
        o.condition = desired;
        if (desired.status === 'False') this.log.info({ object: key, reason: desired.message }, `status of ${key}: not accepted`);
      } catch (err) {
        if ((err as { code?: number }).code === 404) continue; // deleted meanwhile
        failed = true;
        const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
        if (message !== this.failing) this.log.warn({ object: key, err: message }, `writing the status of ${key} failed; retrying`);
        this.failing = message;
      }
    }
    if (!failed) this.failing = undefined;
    this.retry = failed;
  }
}
