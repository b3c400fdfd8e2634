// The gateways a VirtualService (or one of its matches) binds to, as Istio's validateGatewayNames
// (pkg/config/validation/validation.go) checks them: `namespace/name`, or a bare name for the
// mesh (`mesh`) or a gateway in the VirtualService's own namespace.
import type { FieldReader } from '../parse/read';
import { fqdnProblem, isDns1123Label } from './names';

export interface GatewayNameOptions {
  /** Istio warns about the legacy `name.namespace` form only for the VirtualService's own list; its match-level check keeps errors alone. */
  warn: boolean;
  /** Gateway API routes converted by Istio may name gateways that are not DNS labels. */
  gatewaySemantics?: boolean;
}

/**
 * Reports MAST2026 for a reference Istio refuses and MAST2040 for the legacy `name.namespace`
 * form. Like Istio's, the check stops after the first bare name.
 */
export function checkGatewayNames(read: FieldReader, names: string[] | undefined, field: string, opts: GatewayNameOptions): void {
  for (const [i, name] of (names ?? []).entries()) {
    const at = `${field}[${i}]`;
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.') && opts.warn) {
        const [gw, ns] = name.split('.');
        read.report('MAST2040', at, `using legacy gatewayName format ${JSON.stringify(name)}; prefer the <namespace>/<name> format: "${ns}/${gw}" (Istio's validateGatewayNames)`);
      }
      const problem = fqdnProblem(name);
      if (problem) read.report('MAST2026', at, problem);
      return;
    }
    const [ns, gw] = [name.slice(0, slash), name.slice(slash + 1)];
    if (!ns || !gw) read.report('MAST2026', at, 'config namespace and gateway name cannot be empty');
    if (!isDns1123Label(ns)) read.report('MAST2026', at, `invalid value for namespace: ${JSON.stringify(ns)}`);
    if (!isDns1123Label(gw) && !opts.gatewaySemantics) read.report('MAST2026', at, `invalid value for gateway name: ${JSON.stringify(gw)}`);
  }
}
