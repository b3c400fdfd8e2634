// How far V8 lets the JS heap grow past what a full GC left live before it collects again.
import { setFlagsFromString } from 'node:v8';

/**
 * Mast's default heap growing percent: the old generation is collected once it is 1.5x what the
 * last full GC left live. V8 picks the factor itself, up to 4x on a machine with GBs of memory
 * (heap-controller.cc MaxGrowingFactor): at 2000 delta sidecars with 10 endpoint changes a
 * second, ~130 MiB live grew to 370-510 MiB of old space between full GCs and peak RSS was
 * 600-760 MiB; at 50 it was 407 MiB, at no measurable CPU cost (BENCHMARKS.md, "Memory per proxy").
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's `--heap-growing-percent` (the factor becomes 1 + percent/100; V8 reads it whenever it
 * recomputes the heap's limit after a GC: heap-controller.cc GrowingFactor). 0 leaves V8's own
 * factor, or one given to node on its command line.
 */
export function setHeapGrowingPercent(percent: number): void {
  if (!Number.isSafeInteger(percent) || percent < 0) throw new RangeError(`heap growing percent ${percent} is not a whole number of at least 0`);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
