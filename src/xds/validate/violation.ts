/**
 * One reason Envoy would refuse a resource. `path` is the dotted path inside the resource
 * (`virtual_hosts[0].routes[2].match.headers[0].string_match.prefix`, Any contents entered
 * transparently, map keys as `["key"]`); `rule` names the constraint (`string.min_len` for a
 * protoc-gen-validate rule, `route.domain_unique` for an Envoy load-time check); `message` is worded
 * as Envoy words it where Envoy has a wording.
 */
export interface Violation {
  path: string;
  rule: string;
  message: string;
}
