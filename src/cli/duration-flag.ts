// Duration flags (`--workload-cert-ttl 24h`, `--overlap 30m`), written as Go and Istio write
// durations, checked where they are read so a bad value stops the command with its flag named.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../model/duration';

/**
 * A commander argument parser for a duration of at least `minMs`: the value in milliseconds.
 * Throws InvalidArgumentError (commander prints it with the flag) otherwise.
 */
export function durationMs(minMs = 0): (text: string) => number {
  return (text) => {
    const seconds = parseDuration(text);
    if (seconds === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (write e.g. 90s, 30m, 24h)`);
    const ms = seconds * 1000;
    if (ms < minMs) throw new InvalidArgumentError(`${text} is shorter than the minimum, ${minMs / 1000}s`);
    return ms;
  };
}

/** A commander argument parser for a number strictly between 0 and 1. */
export function fraction(text: string): number {
  const n = Number(text);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`${text} is not a fraction between 0 and 1`);
  return n;
}

/** A commander argument parser for a whole number of at least 0 (a percent that may be off). */
export function wholeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${text} is not a whole number of at least 0`);
  return n;
}

/** A commander argument parser for a whole number of at least 1 (a count or a size limit). */
export function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${text} is not a whole number of at least 1`);
  return n;
}
