// VirtualService `mirror` (with `mirrorPercentage`) and `mirrors` -> request_mirror_policies.
// Mirrored requests are fire-and-forget copies; their responses are dropped.
import type { VirtualService } from '../../model/types';
import type { EnvoyJson } from '../types';
import { fractionalPercent } from '../core';
import type { RouteContext } from './context';
import { destinationCluster } from './destination';
import type { Destination, HttpRule } from './istio-types';

function policy(dest: Destination, percent: number | undefined, vs: VirtualService, ctx: RouteContext): EnvoyJson {
  return {
    cluster: destinationCluster(dest, vs, ctx),
    // Istio mirrors every request when no percentage is given.
    runtime_fraction: { default_value: fractionalPercent(percent ?? 100) },
  };
}

export function mirrorPolicies(rule: HttpRule, vs: VirtualService, ctx: RouteContext): EnvoyJson[] {
  const single = rule.mirror ? [policy(rule.mirror, rule.mirrorPercentage?.value, vs, ctx)] : [];
  const many = (rule.mirrors ?? []).map((m) => policy(m.destination, m.percentage?.value, vs, ctx));
  return [...single, ...many];
}
