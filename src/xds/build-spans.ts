// Spans of one translation part's rebuild in a traced push (src/telemetry/push-trace.ts):
// `translate <part>` around each time the part is built (more than once when a rejected object
// is taken out and it is built again), and `encode <part>` from its first resource check to its
// last (checking against what Envoy enforces and encoding each distinct resource once, in the
// cache's interner). Untraced, the part and check are used as they are.
import { context, trace, type Span } from '@opentelemetry/api';
import type { Snapshot } from '../model/types';
import type { TranslationPart } from '../translate/parts';
import type { ProxyClass } from '../translate/types';
import { buildChecked, type Check, type CheckedPart, type LastServed } from './checked-build';
import { pipelineTracer } from '../telemetry/tracing';

/** `buildChecked`, with spans when the active context is a traced push. */
export function buildTraced(part: TranslationPart, snapshot: Snapshot, proxy: ProxyClass, check: Check, lastServed: LastServed): CheckedPart {
  const tracer = pipelineTracer();
  const parent = tracer && trace.getSpan(context.active()) ? context.active() : undefined;
  if (!tracer || !parent) return buildChecked(part, snapshot, proxy, check, lastServed);
  const attributes = { 'mast.part': part.name, 'mast.proxy_role': proxy.role };
  const traced: TranslationPart = {
    name: part.name,
    key: (p, s) => part.key(p, s),
    build: (s, p) => {
      const span = tracer.startSpan(`translate ${part.name}`, { attributes }, parent);
      try {
        return part.build(s, p);
      } finally {
        span.end();
      }
    },
  };
  let encode: Span | undefined;
  let checked = 0;
  let last = 0;
  const result = buildChecked(traced, snapshot, proxy, (typeUrl, r) => {
    encode ??= tracer.startSpan(`encode ${part.name}`, { attributes }, parent);
    checked++;
    const out = check(typeUrl, r);
    last = Date.now();
    return out;
  }, lastServed);
  encode?.setAttributes({ 'mast.resources': checked, 'mast.findings': result.findings.length });
  encode?.end(last);
  return result;
}

/**
 * `build()` in a `translate <part>` span when the active context is a traced push: a part built
 * by members (member-pieces.ts), whose kept members are neither translated nor checked again.
 */
export function traceBuild<T>(part: string, proxy: ProxyClass, build: () => T): T {
  const tracer = pipelineTracer();
  const parent = tracer && trace.getSpan(context.active()) ? context.active() : undefined;
  if (!tracer || !parent) return build();
  const span = tracer.startSpan(`translate ${part}`, { attributes: { 'mast.part': part, 'mast.proxy_role': proxy.role } }, parent);
  try {
    return build();
  } finally {
    span.end();
  }
}
