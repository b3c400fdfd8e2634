// Envoy's proto3 JSON wants durations in seconds (`0.030s`, `90s`, `0.500s`); Istio's fields are
// Go-style (`30ms`, `1m30s`), which model/ parses.
import { parseDuration } from '../model/duration';

/**
 * The proto3 JSON form of a Go-style duration, with 0, 3, 6 or 9 fractional digits as protobuf
 * prints them; undefined when `text` is not a duration (validation in model/ reports that).
 */
export function protoDuration(text: string): string | undefined {
  const seconds = parseDuration(text.trim());
  if (seconds === undefined) return undefined;
  const ns = Math.round(seconds * 1e9);
  const whole = Math.floor(ns / 1e9);
  const frac = ns % 1e9;
  if (frac === 0) return `${whole}s`;
  const digits = String(frac).padStart(9, '0');
  const kept = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits;
  return `${whole}.${kept}s`;
}

/** Whole seconds of a Go-style duration, for the Envoy fields (TCP keepalive) counted in seconds. */
export function durationSeconds(text: string): number | undefined {
  const seconds = parseDuration(text.trim());
  return seconds === undefined ? undefined : Math.floor(seconds);
}
