// What the xDS load bench watches on a running server and its sidecars while it waits: bounded
// waits (time, the server's exit, its RSS) and the server's own NACK count.
// Apart from xds-load.ts because its sync, its single changes and the churn (churn.ts) share them.
import { rssMib } from './proc-stats';
import type { Target } from './targets';

/** A bounded wait whose time ran out while the server was still up and within its memory bound:
 * a caller may record it (a single change some sidecars never ACKed) and go on. */
export class NotDone extends Error {}

/** Waits for `work`, failing with `progress()` when the time is up (a NotDone), the server has
 * exited or it has outgrown `maxRssMib`. */
export async function bounded<T>(work: Promise<T>, ms: number, what: string, target: Target, maxRssMib: number, progress: () => string): Promise<T> {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const message = (why: string): string => `${what}: ${why} after ${((performance.now() - began) / 1000).toFixed(1)} s (${progress()})`;
  const fail = (why: string): Error => new Error(message(why));
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NotDone(message('not done'))), ms);
  });
  const tooBig = new Promise<never>((_, reject) => {
    sampler = setInterval(() => {
      const rss = rssMib(target.pid);
      if (rss > maxRssMib) reject(fail(`${target.name} grew to ${rss.toFixed(0)} MiB RSS, over --max-rss-mib`));
    }, 500);
  });
  const exited = target.proc.exited.then((code): never => {
    throw fail(`${target.name} exited (${code}); see ${target.proc.logFile}`);
  });
  try {
    return await Promise.race([work, timeout, exited, tooBig]);
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}

/** The NACKs the server counted (`pilot_total_xds_rejects`, Mast's and istiod's name, summed over
 * its labels), or undefined when its /metrics does not answer: the peer has none. A counter never
 * incremented is not exported, so a /metrics without it means zero. */
export async function serverRejects(target: Target): Promise<number | undefined> {
  let text: string;
  try {
    const res = await fetch(`${target.adminUrl}/metrics`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined;
  }
  let sum = 0;
  for (const line of text.split('\n')) if (/^pilot_total_xds_rejects(_total)?[{ ]/.test(line)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
