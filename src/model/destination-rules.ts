// Which DestinationRule applies to a host, seen from a namespace, the way Istio decides it.
import { resolveHost } from './hosts';
import { labelsMatch } from './labels';
import { isExportedTo as exportToAllows } from './export-to';
import type { DestinationRule, MeshSettings } from './types';

/** Istio's root namespace by default: rules (and PeerAuthentications) here are the mesh-wide fallback. */
export const ROOT_NAMESPACE = 'istio-system';

interface RulesOfNamespace {
  /** Every rule for a host, in the index's order. */
  exact: Map<string, DestinationRule[]>;
  /** `*.example.com` and `*`, most specific first. */
  wildcards: { suffix: string; rules: DestinationRule[] }[];
}

/** The workload whose outbound traffic a rule is looked up for: its namespace and labels. */
export interface RuleClient {
  namespace: string;
  /** Without labels only rules without a `workloadSelector` apply (validation, subset references). */
  labels?: Readonly<Record<string, string>>;
}

export class DestinationRuleIndex {
  private readonly byNamespace = new Map<string, RulesOfNamespace>();

  private readonly rootNamespace: string;

  /**
   * `rules` in a stable order: of two rules without a workloadSelector for the same host in one
   * namespace, the first wins (Istio would merge them; Mast does not), and so does the first of two
   * selecting one workload. `serviceNamespace` tells where a host's service lives;
   * `defaultExportTo` is the exportTo of rules that set none (MeshConfig defaultDestinationRuleExportTo).
   */
  constructor(
    rules: readonly DestinationRule[],
    { domain, rootNamespace }: Pick<MeshSettings, 'domain' | 'rootNamespace'>,
    private readonly serviceNamespace: (host: string) => string | undefined,
    private readonly defaultExportTo: readonly string[] = ['*'],
  ) {
    this.rootNamespace = rootNamespace;
    for (const rule of rules) {
      const ns = rule.meta.namespace;
      let entry = this.byNamespace.get(ns);
      if (!entry) this.byNamespace.set(ns, (entry = { exact: new Map(), wildcards: [] }));
      const host = resolveHost(rule.spec.host ?? '', ns, domain);
      if (host.startsWith('*')) {
        const suffix = host.slice(1);
        const same = entry.wildcards.find((w) => w.suffix === suffix);
        if (same) same.rules.push(rule);
        else entry.wildcards.push({ suffix, rules: [rule] });
      } else entry.exact.set(host, [...(entry.exact.get(host) ?? []), rule]);
    }
    for (const entry of this.byNamespace.values()) entry.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /**
   * The rule for `host` as `client` sees it, as Istio's PushContext.destinationRule and
   * SidecarScope.DestinationRule find it: the client's namespace first, then the service's, then
   * the root namespace; the first namespace holding rules for the host (most specific host first)
   * visible to the client decides. Of those, a rule whose `workloadSelector` selects the client,
   * in the client's own namespace, wins over the one without a selector; a namespace holding only
   * rules for other workloads gives none, and the search stops there, as in Istio.
   */
  lookup(host: string, client: RuleClient): DestinationRule | undefined {
    const order = new Set([client.namespace, this.serviceNamespace(host), this.rootNamespace]);
    for (const ns of order) {
      const rules = ns === undefined ? [] : this.inNamespace(ns, host).filter((rule) => isExportedTo(rule, client.namespace, this.defaultExportTo));
      if (rules.length > 0) return applying(rules, client);
    }
    return undefined;
  }

  private inNamespace(ns: string, host: string): DestinationRule[] {
    const entry = this.byNamespace.get(ns);
    return entry?.exact.get(host) ?? entry?.wildcards.find((w) => host.endsWith(w.suffix))?.rules ?? [];
  }
}

/** Of one host's rules, the one selecting `client` (same namespace), else the first without a selector. */
function applying(rules: readonly DestinationRule[], client: RuleClient): DestinationRule | undefined {
  const selected = rules.find((rule) => {
    const selector = rule.spec.workloadSelector;
    return selector && client.labels && rule.meta.namespace === client.namespace && labelsMatch(selector.matchLabels, client.labels);
  });
  return selected ?? rules.find((rule) => !rule.spec.workloadSelector);
}

/**
 * exportTo (src/model/export-to.ts; unset: the mesh's default). A rule with a workloadSelector is
 * never exported (Istio's setDestinationRules makes it `.`).
 */
function isExportedTo(rule: DestinationRule, namespace: string, defaults: readonly string[]): boolean {
  if (rule.spec.workloadSelector) return namespace === rule.meta.namespace;
  return exportToAllows(rule.spec.exportTo, rule.meta.namespace, namespace, defaults);
}
