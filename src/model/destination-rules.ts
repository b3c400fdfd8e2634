// Which DestinationRule applies to a host, seen from a namespace, the way Istio decides it.
import { resolveHost } from './hosts';
import type { DestinationRule, MeshSettings } from './types';

/** Istio's root namespace by default: rules (and PeerAuthentications) here are the mesh-wide fallback. */
export const ROOT_NAMESPACE = 'istio-system';

interface RulesOfNamespace {
  exact: Map<string, DestinationRule>;
  /** `*.example.com` and `*`, most specific first. */
  wildcards: { suffix: string; rule: DestinationRule }[];
}

export class DestinationRuleIndex {
  private readonly byNamespace = new Map<string, RulesOfNamespace>();

  private readonly rootNamespace: string;

  /**
   * `rules` in a stable order: of two rules for the same host in one namespace, the first wins
   * (Istio would merge them; Mast does not). `serviceNamespace` tells where a host's service lives.
   */
  constructor(
    rules: readonly DestinationRule[],
    { domain, rootNamespace }: Pick<MeshSettings, 'domain' | 'rootNamespace'>,
    private readonly serviceNamespace: (host: string) => string | undefined,
  ) {
    this.rootNamespace = rootNamespace;
    for (const rule of rules) {
      const ns = rule.meta.namespace;
      let entry = this.byNamespace.get(ns);
      if (!entry) this.byNamespace.set(ns, (entry = { exact: new Map(), wildcards: [] }));
      const host = resolveHost(rule.spec.host ?? '', ns, domain);
      if (host.startsWith('*')) entry.wildcards.push({ suffix: host.slice(1), rule });
      else if (!entry.exact.has(host)) entry.exact.set(host, rule);
    }
    for (const entry of this.byNamespace.values()) entry.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The client's namespace first, then the service's, then the root namespace. */
  lookup(host: string, clientNamespace: string): DestinationRule | undefined {
    const order = new Set([clientNamespace, this.serviceNamespace(host), this.rootNamespace]);
    for (const ns of order) {
      const rule = ns === undefined ? undefined : this.inNamespace(ns, host);
      if (rule && isExportedTo(rule, clientNamespace)) return rule;
    }
    return undefined;
  }

  private inNamespace(ns: string, host: string): DestinationRule | undefined {
    const entry = this.byNamespace.get(ns);
    return entry?.exact.get(host) ?? entry?.wildcards.find((w) => host.endsWith(w.suffix))?.rule;
  }
}

/** exportTo: `*` (the default) is everyone, `.` the rule's own namespace, otherwise the names listed. */
function isExportedTo(rule: DestinationRule, namespace: string): boolean {
  const exportTo = rule.spec.exportTo?.length ? rule.spec.exportTo : ['*'];
  return exportTo.includes('*') || exportTo.includes(namespace) || (exportTo.includes('.') && namespace === rule.meta.namespace);
}
