// Istio's kinds: Istio's schema first, then the fields Mast ignores (MAST1008, or MAST1007 for a
// field Istio does not know), then (only for a well-typed object) what the fields mean.
import type {
  AuthorizationPolicy,
  AuthorizationPolicySpec,
  PeerAuthentication,
  PeerAuthenticationSpec,
  RequestAuthentication,
  RequestAuthenticationSpec,
  DestinationRule,
  DestinationRuleSpec,
  EnvoyFilter,
  EnvoyFilterSpec,
  Gateway,
  GatewaySpec,
  Meta,
  ServiceEntry,
  ServiceEntrySpec,
  Sidecar,
  SidecarSpec,
  Telemetry,
  TelemetrySpec,
  VirtualService,
  VirtualServiceSpec,
  WorkloadEntry,
  WorkloadEntrySpec,
} from '../types';
import { validateDestinationRule } from '../validate/destination-rule';
import { validateGateway } from '../validate/gateway';
import { validateSidecar } from '../validate/sidecar';
import { validateEnvoyFilter } from '../validate/envoy-filter';
import { validateTelemetry } from '../validate/telemetry';
import { validateVirtualService } from '../validate/virtual-service';
import { validateServiceEntry, validateWorkloadEntry } from '../validate/service-entry';
import { validateAuthorizationPolicy, validatePeerAuthentication, validateRequestAuthentication } from '../validate/security';
import { ignoredFields, type IgnoredField } from './field-support';
import { checkIstioSchema, type IstioKind, type TranslatedIstioKind } from './istio-schema';
import type { ConvertContext } from './object';
import { childPath, isRecord, type FieldReader, type Json } from './read';

export function toVirtualService(raw: Json, ctx: ConvertContext): VirtualService {
  const spec = checked('VirtualService', raw, ctx, validateVirtualService);
  return { kind: 'VirtualService', ...ctx.base, spec };
}

export function toDestinationRule(raw: Json, ctx: ConvertContext): DestinationRule {
  const spec = checked('DestinationRule', raw, ctx, validateDestinationRule);
  return { kind: 'DestinationRule', ...ctx.base, spec };
}

export function toGateway(raw: Json, ctx: ConvertContext): Gateway {
  const spec = checked('Gateway', raw, ctx, validateGateway);
  return { kind: 'Gateway', ...ctx.base, spec };
}

export function toServiceEntry(raw: Json, ctx: ConvertContext): ServiceEntry {
  const spec = checked('ServiceEntry', raw, ctx, validateServiceEntry);
  return { kind: 'ServiceEntry', ...ctx.base, spec };
}

export function toWorkloadEntry(raw: Json, ctx: ConvertContext): WorkloadEntry {
  const spec = checked('WorkloadEntry', raw, ctx, validateWorkloadEntry);
  return { kind: 'WorkloadEntry', ...ctx.base, spec };
}

export function toSidecar(raw: Json, ctx: ConvertContext): Sidecar {
  const spec = checked('Sidecar', raw, ctx, validateSidecar);
  return { kind: 'Sidecar', ...ctx.base, spec };
}

export function toTelemetry(raw: Json, ctx: ConvertContext): Telemetry {
  const spec = checked('Telemetry', raw, ctx, validateTelemetry);
  return { kind: 'Telemetry', ...ctx.base, spec };
}

export function toEnvoyFilter(raw: Json, ctx: ConvertContext): EnvoyFilter {
  const spec = checked('EnvoyFilter', raw, ctx, validateEnvoyFilter);
  return { kind: 'EnvoyFilter', ...ctx.base, spec };
}

export function toPeerAuthentication(raw: Json, ctx: ConvertContext): PeerAuthentication {
  const spec = checked('PeerAuthentication', raw, ctx, validatePeerAuthentication);
  return { kind: 'PeerAuthentication', ...ctx.base, spec };
}

export function toAuthorizationPolicy(raw: Json, ctx: ConvertContext): AuthorizationPolicy {
  const spec = checked('AuthorizationPolicy', raw, ctx, validateAuthorizationPolicy);
  return { kind: 'AuthorizationPolicy', ...ctx.base, spec };
}

export function toRequestAuthentication(raw: Json, ctx: ConvertContext): RequestAuthentication {
  const spec = checked('RequestAuthentication', raw, ctx, validateRequestAuthentication);
  return { kind: 'RequestAuthentication', ...ctx.base, spec };
}


/**
 * `raw` without the null-valued fields of its spec. The Kubernetes API server prunes null values of
 * fields that Istio's CRD schemas do not mark nullable (none are) before it validates, and Istio's
 * decoder reads a null as an absent field: `loadBalancer: null` is no load balancer. A null item
 * of a list stays, and is refused.
 */
function withoutNullFields(raw: Json): Json {
  const prune = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(prune);
    if (!isRecord(value)) return value;
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, prune(v)]])));
  };
  return 'spec' in raw ? { ...raw, spec: prune(raw.spec) } : raw;
}

/** Checks `raw` against Istio's schema, reporting each error at its field; answers the probes (does the schema know this field?). */
function checkSchema(kind: IstioKind, raw: Json, apiVersion: string, read: FieldReader, probes: IgnoredField[]): boolean[] {
  const answer = checkIstioSchema({ kind, apiVersion, raw, probes: probes.map((f) => f.segments) });
  for (const error of answer.errors) {
    const { field, value } = locate(error.pointer, raw);
    read.report('MAST1006', field || undefined, schemaMessage(error, value));
  }
  return answer.known;
}

function checked<Spec extends VirtualServiceSpec | DestinationRuleSpec | GatewaySpec | SidecarSpec | EnvoyFilterSpec | TelemetrySpec | ServiceEntrySpec | WorkloadEntrySpec | PeerAuthenticationSpec | AuthorizationPolicySpec | RequestAuthenticationSpec>(
  kind: TranslatedIstioKind,
  raw: Json,
  { read, base }: ConvertContext,
  validate: (spec: Spec, read: FieldReader, meta: Meta) => void,
): Spec {
  raw = withoutNullFields(raw);
  const ignored = ignoredFields(kind, raw);
  const known = checkSchema(kind, raw, base.apiVersion, read, ignored);
  ignored.forEach(({ field }, i) => {
    if (known[i]) read.report('MAST1008', field, 'is not supported by Mast yet and is ignored');
    else read.report('MAST1007', field, `is not a field of ${kind} (${base.apiVersion}) and is ignored`);
  });
  // The schema has vouched for the types by now, so the typed view of spec is safe to read.
  const spec = (isRecord(raw.spec) ? raw.spec : {}) as Spec;
  if (!read.hasErrors()) validate(spec, read, base.meta);
  return spec;
}

/** Istio's schemas say "exactly one of" with oneOf and not/anyOf, whose own messages mean little to a user. */
function schemaMessage(error: { keyword: string; message: string; allowed?: unknown[] }, value: unknown): string {
  const set = isRecord(value) ? Object.keys(value) : [];
  if ((error.keyword === 'oneOf' || error.keyword === 'not') && set.length > 1) return `sets ${set.join(', ')}, but only one of them may be set`;
  if (error.keyword === 'enum' && error.allowed) return `is ${JSON.stringify(value)}; must be one of ${error.allowed.join(', ')}`;
  return error.message;
}

/** `/spec/http/0/route` -> `spec.http[0].route` and the value there, reading `raw` to tell list indexes from map keys. */
function locate(pointer: string, raw: unknown): { field: string; value: unknown } {
  let field = '';
  let value = raw;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(value) ? Number(key) : undefined;
    field = childPath(field, index ?? key);
    value = isRecord(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return { field, value };
}
