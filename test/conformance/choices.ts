// How the generators choose: usual values, and now and then odd ones, weighed by `unusual`.
import fc from 'fast-check';

export const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/**
 * The choosing helpers for one level of oddness: `unusual` weighs the odd values against the
 * usual ones (40), 0 meaning none at all, so that a share of the objects are valid by construction.
 */
export function choices(unusual: number) {
  /** A usual value, or now and then an odd one. */
  const odd = <T>(usual: T[], unusualValues: T[]): fc.Arbitrary<T> =>
    unusual === 0 ? fc.constantFrom(...usual) : fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...usual) }, { weight: unusual, arbitrary: fc.constantFrom(...unusualValues) });
  /** One arbitrary usually, now and then the other. */
  const either = <T>(usual: fc.Arbitrary<T>, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    unusual === 0 ? usual : fc.oneof({ weight: 40, arbitrary: usual }, { weight: unusual, arbitrary: other });
  /** Now and then present. */
  const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { freq: 4, nil: undefined });
  /** A record whose keys are each present or absent. */
  const some = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.record(model, { requiredKeys: [] });

  return { odd, either, rarely, some };
}

export type Choices = ReturnType<typeof choices>;
