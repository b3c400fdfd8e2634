// Informer events on their way into the ConfigStore. The store rebuilds its snapshot once per
// tick of writes, but a watch delivers its events over many ticks (one per chunk read), and a
// start with thousands of objects must not rebuild thousands of times. Writes are collected and
// applied together on the next turn of the event loop: one rebuild per burst, and an object
// changed several times in a burst is written once, in its latest version.
import type { ConfigStore, ObjectRef } from '../../model';

type Write = { raw: unknown; apiPath: string } | { ref: ObjectRef };

export class PendingWrites {
  private pending = new Map<string, Write>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly sourceId: string,
  ) {}

  upsert(ref: ObjectRef, raw: unknown, apiPath: string): void {
    this.queue(ref, { raw, apiPath });
  }

  remove(ref: ObjectRef): void {
    this.queue(ref, { ref });
  }

  /** Drops what is not applied yet: the source is closing. */
  discard(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.pending.clear();
  }

  private queue(ref: ObjectRef, write: Write): void {
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    // Re-inserted at the end, so writes apply in the order of each object's latest event.
    this.pending.delete(key);
    this.pending.set(key, write);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = undefined;
    const writes = this.pending;
    this.pending = new Map();
    for (const write of writes.values()) {
      if ('raw' in write) this.store.upsert(this.sourceId, write.raw, { apiPath: write.apiPath });
      else this.store.remove(this.sourceId, write.ref);
    }
  }
}
