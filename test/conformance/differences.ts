// The differences between Mast's verdict and Istio's that are known and kept on purpose, each
// with its reason in docs/istio-conformance.md under the same id. A rule names a kind of input,
// never one generated object: it holds when the findings on both sides show that kind.
import type { Diagnostic } from '../../src/model';
import type { IstioVerdict, Raw } from './istioctl';

export interface Difference {
  /** Anchor in docs/istio-conformance.md: `{#id}`. */
  id: string;
  /** Which side refuses. */
  refusedBy: 'mast' | 'istio';
  applies(object: Raw, mast: Diagnostic[], istio: IstioVerdict): boolean;
}

export const DIFFERENCES: Difference[] = [
  {
    // Every Istio error is about a field Mast warned it does not know, and Mast has no error.
    id: 'unknown-fields',
    refusedBy: 'istio',
    applies: (_object, mast, istio) =>
      mast.some((d) => d.code === 'MAST1007') && istio.errors.every((e) => /^cannot parse proto message: unknown field /.test(e)),
  },
];
