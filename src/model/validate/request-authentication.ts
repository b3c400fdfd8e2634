// RequestAuthentication as Istio's validation checks it (pkg/config/validation/validation.go:
// ValidateRequestAuthentication, validateJwtRule, warnPrivateJwksKeys; security.ParseJwksURI),
// errors as MAST2044. Inline JWKS are read with node's crypto where Istio reads them with
// lestrrat-go/jwx's jwk.Parse: a JSON Web Key Set, or a single key, every key importable.
import { createPublicKey, createSecretKey } from 'node:crypto';
import type { FieldReader } from '../parse/read';
import type { Meta, RequestAuthenticationSpec } from '../types';
import { checkAnnotations } from './metadata';
import { checkTargetRefs } from './policy-target';
import { checkIstioDuration } from './values';

type JwtRule = NonNullable<RequestAuthenticationSpec['jwtRules']>[number];

/** security.ParseJwksURI's refusals: not a URL, or a scheme other than http and https. */
export function jwksUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `jwksUri ${JSON.stringify(uri)} is not a URL`;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `URI scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported`;
}

/** The keys of an inline JWKS (a set, or one key), or why they cannot be read; and whether any holds private material. */
export function readJwks(text: string): { problem: string } | { keys: Record<string, unknown>[]; privateAt: number[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { problem: `jwks parse error: ${(e as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'jwks parse error: not a JSON object' };
  const set = parsed as { keys?: unknown };
  const keys = (Array.isArray(set.keys) ? set.keys : 'keys' in set ? undefined : [parsed]) as Record<string, unknown>[] | undefined;
  if (!keys) return { problem: 'jwks parse error: "keys" is not a list' };
  const privateAt: number[] = [];
  for (const [i, key] of keys.entries()) {
    try {
      if (key.kty === 'oct') createSecretKey(Buffer.from(String(key.k), 'base64url'));
      else createPublicKey({ key: key as never, format: 'jwk' });
    } catch (e) {
      return { problem: `jwks parse error: key ${i}: ${(e as Error).message}` };
    }
    if (key.kty === 'oct' || 'd' in key) privateAt.push(i);
  }
  return { keys, privateAt };
}

function checkJwtRule(read: FieldReader, rule: JwtRule, field: string): void {
  const report = (at: string, message: string): void => read.report('MAST2044', at, message);
  if (rule.audiences?.some((a) => a === '')) report(`${field}.audiences`, 'audience must be non-empty string');
  if (!rule.issuer && !rule.jwksUri) report(field, 'issuer or jwksUri must be non-empty string');
  const uriProblem = rule.jwksUri ? jwksUriProblem(rule.jwksUri) : undefined;
  if (uriProblem) report(`${field}.jwksUri`, uriProblem);
  if (rule.jwks) {
    const jwks = readJwks(rule.jwks);
    if ('problem' in jwks) report(`${field}.jwks`, jwks.problem);
    else for (const i of jwks.privateAt) read.report('MAST2041', `${field}.jwks`, `jwks key at index ${i} contains private key material; only public keys are used for verification (an Istio warning)`);
  }
  (rule.fromHeaders ?? []).forEach((h, i) => {
    if (!h?.name) report(`${field}.fromHeaders[${i}].name`, 'location header name must be non-empty string');
  });
  (rule.fromParams ?? []).forEach((p, i) => {
    if (p === '') report(`${field}.fromParams[${i}]`, 'location query must be non-empty string');
  });
  (rule.fromCookies ?? []).forEach((c, i) => {
    if (c === '') report(`${field}.fromCookies[${i}]`, 'cookie name must be non-empty string');
  });
  (rule.outputClaimToHeaders ?? []).forEach((c, i) => {
    const at = `${field}.outputClaimToHeaders[${i}]`;
    if (!c.claim || !c.header) report(at, 'outputClaimToHeaders header and claim value must be non-empty string');
    else if (!/^[-_A-Za-z0-9]+$/.test(c.header)) report(`${at}.header`, `header name ${c.header} is not a valid header name`);
  });
  checkIstioDuration(read, rule.timeout, `${field}.timeout`);
}

/** ValidateRequestAuthentication (everything but the selector, which security.ts checks for every policy kind). */
export function checkRequestAuthentication(spec: RequestAuthenticationSpec, read: FieldReader, meta: Meta): void {
  checkAnnotations(read, meta);
  checkTargetRefs(read, spec);
  (spec.jwtRules ?? []).forEach((rule, i) => {
    if (rule) checkJwtRule(read, rule, `spec.jwtRules[${i}]`);
  });
}
