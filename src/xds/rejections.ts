// Tracing a resource Envoy would reject back to the objects it came from. A rejected route table
// takes down every host on its port, so the cache leaves out the objects to blame and builds the
// part again without them (cache.ts); this file says whom to blame and how to tell the user.
import { diagnostic } from '../model/errors';
import { refKey, type Diagnostic, type Kind, type ObjectRef, type Snapshot } from '../model/types';
import type { NamedResource } from '../translate/types';
import { SHORT_TYPE } from './types';
import type { Violation } from './validate';

export interface Rejection {
  typeUrl: string;
  resource: NamedResource;
  violations: readonly Violation[];
}

/** Kinds that describe the world rather than configure it: blamed only when nothing else is named. */
const WORLD_KINDS: ReadonlySet<string> = new Set<Kind>(['Service', 'EndpointSlice', 'Pod']);

const STEP = /\.?([A-Za-z_]\w*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** `virtual_hosts[0].routes[2].match` -> ['virtual_hosts', 0, 'routes', 2, 'match']. */
function steps(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  STEP.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (STEP.lastIndex < path.length && (m = STEP.exec(path))) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3] as string) as string);
  }
  return out;
}

function sourcesIn(value: unknown): readonly string[] | undefined {
  const meta = (value as { metadata?: { filter_metadata?: { mast?: { sources?: unknown } } } } | undefined)?.metadata;
  const sources = meta?.filter_metadata?.mast?.sources;
  return Array.isArray(sources) && sources.length > 0 ? (sources as string[]) : undefined;
}

/**
 * The objects to leave out for one rejected field: the sources named innermost on the way to it
 * (a route's VirtualService, an endpoint's EndpointSlice), else the resource's own; of those, the
 * Istio objects if there are any, since a Service is the world they configure.
 */
export function culprits(resource: NamedResource, violation: Violation): string[] {
  let named: readonly string[] | undefined = resource.sources;
  let at: unknown = resource.json;
  named = sourcesIn(at) ?? named;
  for (const step of steps(violation.path)) {
    if (at === null || typeof at !== 'object') break;
    at = (at as Record<string | number, unknown>)[step];
    named = sourcesIn(at) ?? named;
  }
  const all = named ?? [];
  const config = all.filter((key) => !WORLD_KINDS.has(key.slice(0, key.indexOf('/'))));
  return config.length > 0 ? [...config] : [...all];
}

function refOfKey(key: string): ObjectRef {
  const [kind, namespace, name] = key.split('/') as [Kind, string, string];
  return { kind, namespace, name };
}

/**
 * MAST4001 about `culprit` (or, with none to blame, about the resource alone, which is then left
 * out itself): the resource, the first field Envoy would refuse and Envoy's reason.
 */
export function rejectionFinding(r: Rejection, culprit: string | undefined, snapshot: Snapshot): Diagnostic {
  const [first] = r.violations;
  const what = `${SHORT_TYPE[r.typeUrl] ?? r.typeUrl} ${r.resource.name}`;
  const why = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'rejected';
  const more = r.violations.length > 1 ? ` (and ${r.violations.length - 1} more)` : '';
  if (!culprit) return diagnostic('MAST4001', `Envoy would reject ${what} (${why}${more}); it is not sent`);
  const ref = refOfKey(culprit);
  const object = snapshot.object(ref);
  const message = `Envoy would reject ${what} (${why}${more}) made from ${refKey(ref)}; what it contributes there is left out`;
  return diagnostic('MAST4001', message, { object: ref, ...(object ? { origin: object.origin } : {}) });
}

/** The part's resources without those Envoy would reject. */
export function withoutRejected<T extends { [k: string]: NamedResource[] | undefined }>(json: T, rejected: readonly Rejection[]): T {
  const gone = new Set(rejected.map((r) => r.resource));
  const out: { [k: string]: NamedResource[] | undefined } = {};
  for (const [field, list] of Object.entries(json)) out[field] = list?.filter((r) => !gone.has(r));
  return out as T;
}
