// How the property test's generators choose a value: plain ones mostly, and now and then ones
// Istio (and so Mast's model) accepts but that test how they reach Envoy: spaces, `%`, non-ASCII,
// big sizes, reserved ports. Values Istio refuses come in as test/conformance/choices.ts weighs
// them. Odd but valid values need no weight of their own: they are where Envoy NACKs were found.
import fc from 'fast-check';
import type { Choices } from '../conformance/choices';

/** `pick(plain, edgy, invalid)`: `plain` three times in four, else `edgy`; `invalid` as `c` weighs odd values. */
export function picker({ either }: Choices) {
  return <T>(plain: T[], edgy: T[], invalid: T[] = []): fc.Arbitrary<T> => {
    const valid = edgy.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...plain) }, { weight: 1, arbitrary: fc.constantFrom(...edgy) }) : fc.constantFrom(...plain);
    return invalid.length ? either(valid, fc.constantFrom(...invalid)) : valid;
  };
}
