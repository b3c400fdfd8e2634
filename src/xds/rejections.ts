// Tracing a resource Envoy would reject back to the objects it came from. A rejected route table
// takes down every host on its port, so the cache builds the part again with those objects at
// their last good version, or without them (cache.ts); this file says whom to blame, where in
// their YAML, and how to tell the user.
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

/** The objects one rejected field is blamed on, and where in their YAML it came from when known. */
export interface Blame {
  keys: string[];
  field?: string;
}

/**
 * The order in which kinds take the blame: the configuration that asked for a field before the
 * world it configures. An endpoint field is its EndpointSlice's, never the Pod's that only lends
 * its labels; a virtual host's is its VirtualService's before its Service's.
 */
const BLAME_ORDER: readonly Kind[][] = [['VirtualService', 'DestinationRule', 'Gateway'], ['EndpointSlice'], ['Service'], ['Pod']];

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

interface Named {
  sources: readonly string[];
  field?: string;
}

function namedIn(value: unknown): Named | undefined {
  const mast = (value as { metadata?: { filter_metadata?: { mast?: { sources?: unknown; field?: unknown } } } } | undefined)?.metadata?.filter_metadata?.mast;
  if (!Array.isArray(mast?.sources) || mast.sources.length === 0) return undefined;
  return { sources: mast.sources as string[], ...(typeof mast.field === 'string' ? { field: mast.field } : {}) };
}

const kindOf = (key: string): Kind => key.slice(0, key.indexOf('/')) as Kind;

/**
 * Whom a rejected field is blamed on: the sources named innermost on the way to it (a route's
 * VirtualService and rule, an endpoint's EndpointSlice), else the resource's own; of those, the
 * kinds first in BLAME_ORDER.
 */
export function blame(resource: NamedResource, violation: Violation): Blame {
  let named: Named | undefined = resource.sources?.length ? { sources: resource.sources } : undefined;
  let at: unknown = resource.json;
  named = namedIn(at) ?? named;
  for (const step of steps(violation.path)) {
    if (at === null || typeof at !== 'object') break;
    at = (at as Record<string | number, unknown>)[step];
    named = namedIn(at) ?? named;
  }
  if (!named) return { keys: [] };
  for (const kinds of BLAME_ORDER) {
    const keys = named.sources.filter((key) => kinds.includes(kindOf(key)));
    if (keys.length > 0) return { keys, ...(named.field && keys.length === 1 ? { field: named.field } : {}) };
  }
  return { keys: [...named.sources] };
}

export function refOfKey(key: string): ObjectRef {
  const [kind, namespace, name] = key.split('/') as [Kind, string, string];
  return { kind, namespace, name };
}

/**
 * MAST4001 about the object keyed `culprit`, at `field` (where in its YAML the rejected field came
 * from, when known): the resource, Envoy's reason, and what Mast serves instead (`kept`: its last
 * good version, else nothing of it). Without a culprit, about the resource alone, which is then
 * not sent.
 */
export function rejectionFinding(r: Rejection, violation: Violation | undefined, snapshot: Snapshot, culprit?: { key: string; field?: string; kept: boolean }): Diagnostic {
  const what = `${SHORT_TYPE[r.typeUrl] ?? r.typeUrl} ${r.resource.name}`;
  const why = violation ? `${violation.path ? `${violation.path}: ` : ''}${violation.message}` : 'rejected';
  if (!culprit) return diagnostic('MAST4001', `Envoy would reject ${what} (${why}); it is not sent`);
  const ref = refOfKey(culprit.key);
  const object = snapshot.object(ref);
  const instead = culprit.kept ? 'its last good version keeps serving' : 'what it contributes there is left out';
  const message = `Envoy would reject ${what} (${why}) made from ${refKey(ref)}; ${instead}`;
  return diagnostic('MAST4001', message, { object: ref, ...(object ? { origin: object.origin } : {}), ...(culprit.field ? { field: culprit.field } : {}) });
}

/** The part's resources without those Envoy would reject. */
export function withoutRejected<T extends { [k: string]: NamedResource[] | undefined }>(json: T, rejected: readonly Rejection[]): T {
  const gone = new Set(rejected.map((r) => r.resource));
  const out: { [k: string]: NamedResource[] | undefined } = {};
  for (const [field, list] of Object.entries(json)) out[field] = list?.filter((r) => !gone.has(r));
  return out as T;
}

/**
 * MAST4002 for each EnvoyFilter whose patches changed (or added) a resource Envoy would reject,
 * when the resource as translated (before the patches) passes `passes`: the patches are at fault,
 * and the proxy goes without that EnvoyFilter (its last good version, else none). Undefined when
 * no patch touched the resource, or it fails without them (then its own objects are blamed).
 */
export function patchBlame(r: Rejection, passes: (original: NamedResource) => boolean, snapshot: Snapshot): Map<string, Diagnostic> | undefined {
  const patched = r.resource.patched;
  if (!patched || patched.by.length === 0) return undefined;
  if (patched.original && !passes(patched.original)) return undefined;
  const what = `${SHORT_TYPE[r.typeUrl] ?? r.typeUrl} ${r.resource.name}`;
  const v = r.violations[0];
  const why = v ? `${v.path ? `${v.path}: ` : ''}${v.message}` : 'rejected';
  const fields = new Map<string, string[]>();
  for (const touch of patched.by) {
    const [key = '', field = ''] = touch.split('#');
    fields.set(key, [...(fields.get(key) ?? []), field]);
  }
  const out = new Map<string, Diagnostic>();
  for (const [key, list] of fields) {
    const ref = refOfKey(key);
    const object = snapshot.object(ref);
    const how = patched.original ? 'as patched by' : 'as added by';
    const message = `Envoy would reject ${what} (${why}) ${how} ${key} (${list.join(', ')})`;
    out.set(key, diagnostic('MAST4002', message, { object: ref, ...(object ? { origin: object.origin } : {}), field: list[0] as string }));
  }
  return out;
}

/** A patch-stage finding with what the proxies it concerns are served instead. */
export function keptNote(d: Diagnostic, kept: boolean): Diagnostic {
  return { ...d, message: `${d.message}; ${kept ? 'its last good version keeps serving' : 'the proxies it selects go without it'}` };
}
