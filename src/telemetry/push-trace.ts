// The root of one push's trace: the source events that caused it (the objects that changed, as
// the ConfigStore reports them) and the push itself, which the rebuild, translate/encode and each
// stream's send and ACK spans hang under (src/xds/server.ts, cache.ts, stream-spans.ts).
//
//   config change                     mast.generation, mast.sources (Kind/namespace/name, sorted)
//   ├─ source VirtualService/default/reviews        one per changed object, at its event's time
//   ├─ rebuild                                      the new snapshot and every proxy's view
//   │  └─ translate <part> / encode <part>          each translation part rebuilt
//   └─ push <proxy id>                              until the proxy has answered every response
//      └─ send <type>                               from write to ACK (or NACK, as an error)
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { pipelineTracer } from './tracing';

/** Source spans past this many per push are counted (mast.sources.count), not made. */
const MAX_SOURCE_SPANS = 50;

export class ChangeTrace {
  private events: { keys: readonly string[]; at: number }[] = [];

  /** Notes that objects `keys` changed at `at` (ms since the epoch); nothing when untraced. */
  noted(keys: readonly string[], at = Date.now()): void {
    if (pipelineTracer()) this.events.push({ keys, at });
  }

  /**
   * Runs `push` (synchronously) as the trace of the changes noted since the last push, which the
   * spans it starts join through the active context; just runs it when untraced.
   */
  push(generation: number, push: () => void): void {
    const tracer = pipelineTracer();
    const events = this.events;
    this.events = [];
    if (!tracer) return push();
    const keys = [...new Set(events.flatMap((e) => e.keys))].sort();
    const root = tracer.startSpan('config change', {
      root: true,
      startTime: events[0]?.at ?? Date.now(),
      attributes: { 'mast.generation': generation, 'mast.sources': keys.slice(0, MAX_SOURCE_SPANS), 'mast.sources.count': keys.length },
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    let made = 0;
    for (const e of events) {
      for (const key of e.keys) {
        if (made++ >= MAX_SOURCE_SPANS) break;
        tracer.startSpan(`source ${key}`, { startTime: e.at, attributes: { 'mast.source': key } }, ctx).end(e.at);
      }
    }
    try {
      context.with(ctx, push);
    } finally {
      root.end();
    }
  }
}
