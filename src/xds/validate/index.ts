// Everything Envoy would refuse in a resource Mast generates: its protoc-gen-validate rules
// (pgv.ts) and its load-time checks (semantic.ts). docs/envoy-validation.md lists both.
import { REGEX_MAX_PROGRAM_SIZE } from './limits';
import { envoyProtoRules } from './pgv';
import { semanticVisitors, structuralChecks, type ValidationLimits } from './semantic';
import type { Violation } from './violation';

export type { Violation } from './violation';
export type { ValidationLimits } from './semantic';
export { checkProtoRules } from './pgv';
export { checkEnvoySemantics } from './semantic';
export { REGEX_MAX_PROGRAM_SIZE } from './limits';

/** The limits of a proxy started from Mast's bootstrap. */
export const MAST_LIMITS: ValidationLimits = { regexMaxProgramSize: REGEX_MAX_PROGRAM_SIZE };

const TYPE_PREFIX = 'type.googleapis.com/';

const visitorsByLimit = new Map<number, ReturnType<typeof semanticVisitors>>();

/**
 * Every reason Envoy would NACK `json`, a resource of `typeUrl`
 * (`type.googleapis.com/envoy.config.route.v3.RouteConfiguration`, ...) written as Mast writes
 * proto3 JSON (src/xds/encode.ts). One walk checks the proto rules and the per-message-type load
 * checks; then the per-resource-type checks run. An empty list means Envoy accepts it, as far as
 * these checks know (docs/envoy-validation.md says what is not checked).
 * Throws if the type is not one Mast loads (proto/roots.js).
 */
export function validateResource(typeUrl: string, json: unknown, limits: ValidationLimits): Violation[] {
  const typeName = typeUrl.startsWith(TYPE_PREFIX) ? typeUrl.slice(TYPE_PREFIX.length) : typeUrl;
  let visitors = visitorsByLimit.get(limits.regexMaxProgramSize);
  if (!visitors) {
    visitors = semanticVisitors(limits);
    visitorsByLimit.set(limits.regexMaxProgramSize, visitors);
  }
  const out = envoyProtoRules().check(typeName, json, visitors);
  structuralChecks(typeName, json, out);
  return out;
}
