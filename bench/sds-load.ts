// The CA and SDS benchmark: how fast Mast issues workload certificates, and how long N simulated
// sidecars of I identities wait for their first certificate over SDS from a running `mast serve`.
//
//   node --import tsx bench/sds-load.ts [--issue 5000] [--clients 1000] [--identities 1000,1]
//     [--transport sotw,delta] [--services 10]
//
// Issuance: one CA (a fresh P-256 root, as Mast makes), `--issue` workload certificates one after
// the other, then as many at once; certificates per second, in process. SDS: `mast serve` on a
// small mesh of `--services` services, `--clients` sidecars that ask for CDS and, once clusters
// arrive, for `default` and `ROOTCA` (bench/lib/sidecar.ts), spread over `--identities` service
// accounts; the time from the first stream opening until every sidecar holds its certificate,
// and per sidecar. Prints a markdown table and writes bench/results/sds-load-DATE.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CertificateAuthority } from '../src/ca';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { META, nodeId } from '../src/proxy/node';
import { NAMESPACE, writeMesh } from './mesh-gen';
import { cpuSeconds, peakRssMib } from './lib/proc-stats';
import { loadProtos, Sidecar, type Transport } from './lib/sidecar';
import { percentile } from './lib/stats';
import { startMast } from './lib/targets';
import { machine } from './lib/machine';
import type { NodeInfo } from '../test/support/ads-client';

const SPIFFE = 'spiffe://cluster.local/ns/default/sa/bench';

async function issuance(n: number): Promise<{ sequentialPerS: number; concurrentPerS: number }> {
  const ca = await CertificateAuthority.create();
  for (let i = 0; i < 100; i++) await ca.issueWorkloadCert(SPIFFE, 3_600_000); // warm-up
  let t = performance.now();
  for (let i = 0; i < n; i++) await ca.issueWorkloadCert(`${SPIFFE}-${i}`, 3_600_000);
  const sequentialPerS = n / ((performance.now() - t) / 1000);
  t = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => ca.issueWorkloadCert(`${SPIFFE}-${i}`, 3_600_000)));
  return { sequentialPerS, concurrentPerS: n / ((performance.now() - t) / 1000) };
}

/** Sidecar `i`: its own pod IP, service account `bench-(i mod identities)`. */
function sdsNode(i: number, identities: number): NodeInfo {
  const ip = `10.1.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
  return {
    id: nodeId('sidecar', ip, `bench-${i}.${NAMESPACE}`, NAMESPACE),
    metadata: {
      [META.namespace]: NAMESPACE,
      [META.labels]: { app: 'bench', version: 'v1' },
      [META.instanceIps]: ip,
      [META.serviceAccount]: `bench-${i % identities}`,
      [META.name]: `bench-${i}`,
      [META.interceptionMode]: 'REDIRECT',
    },
  };
}

interface SdsRun {
  transport: Transport;
  clients: number;
  identities: number;
  /** From the first stream opening until every sidecar holds its certificate. */
  allCertsMs: number;
  certP50Ms: number;
  certP99Ms: number;
  /** Until every sidecar also holds CDS, EDS, LDS and RDS. */
  fullSyncMs: number;
  cpuS: number;
  peakRssMib: number;
}

async function sdsRun(transport: Transport, clients: number, identities: number, services: number): Promise<SdsRun> {
  const work = tempDir('bench-sds');
  const configDir = path.join(work, 'mesh');
  writeMesh(configDir, services);
  const target = await startMast(configDir, work);
  const sidecars: Sidecar[] = [];
  try {
    const cpu = cpuSeconds(target.pid);
    const startedAt = performance.now();
    for (let i = 0; i < clients; i++) sidecars.push(new Sidecar(target.xdsAddress, sdsNode(i, identities), transport, true));
    const deadline = Date.now() + 600_000;
    await Promise.race([
      Promise.all(sidecars.map((s) => s.synced)),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not synced in 10 minutes: ${sidecars.filter((s) => s.certAt === undefined).length} without a certificate`)), deadline - Date.now()).unref()),
    ]);
    const failed = sidecars.find((s) => s.failure);
    if (failed) throw failed.failure;
    const certs = sidecars.map((s) => s.certAt! - s.startedAt);
    return {
      transport,
      clients,
      identities,
      allCertsMs: Math.max(...sidecars.map((s) => s.certAt!)) - startedAt,
      certP50Ms: percentile(certs, 50),
      certP99Ms: percentile(certs, 99),
      fullSyncMs: Math.max(...sidecars.map((s) => s.syncedAt!)) - startedAt,
      cpuS: cpuSeconds(target.pid) - cpu,
      peakRssMib: peakRssMib(target.pid),
    };
  } finally {
    for (const s of sidecars) s.close();
    await target.stop();
  }
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      issue: { type: 'string', default: '5000' },
      clients: { type: 'string', default: '1000' },
      identities: { type: 'string', default: '1000,1' },
      transport: { type: 'string', default: 'sotw,delta' },
      services: { type: 'string', default: '10' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const info = machine();
  process.stderr.write(`${JSON.stringify(info)}\n`);
  loadProtos();
  const issued = await issuance(Number(values.issue));
  process.stderr.write(`  issuance: ${issued.sequentialPerS.toFixed(0)}/s one at a time, ${issued.concurrentPerS.toFixed(0)}/s all at once\n`);
  const runs: SdsRun[] = [];
  for (const identities of list(values.identities).map(Number)) {
    for (const transport of list(values.transport) as Transport[]) {
      const run = await sdsRun(transport, Number(values.clients), identities, Number(values.services));
      process.stderr.write(`  ${transport} N=${run.clients} identities=${identities}: every certificate in ${(run.allCertsMs / 1000).toFixed(2)} s\n`);
      runs.push(run);
    }
  }
  mkdirSync(values.out, { recursive: true });
  const file = path.join(values.out, `sds-load-${String(info.date).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: info, loadAverage: os.loadavg(), issuance: issued, runs }, null, 2)}\n`);
  console.log(`workload certificates (ECDSA P-256): ${issued.sequentialPerS.toFixed(0)}/s one at a time, ${issued.concurrentPerS.toFixed(0)}/s all at once\n`);
  console.log('| transport | sidecars | identities | all certificates (s) | cert p50 (ms) | cert p99 (ms) | full sync incl. SDS (s) | Mast CPU (s) | peak RSS (MiB) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    console.log(`| ${r.transport} | ${r.clients} | ${r.identities} | ${(r.allCertsMs / 1000).toFixed(2)} | ${r.certP50Ms.toFixed(0)} | ${r.certP99Ms.toFixed(0)} | ${(r.fullSyncMs / 1000).toFixed(2)} | ${r.cpuS.toFixed(2)} | ${r.peakRssMib.toFixed(0)} |`);
  }
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`sds-load: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit();
  });
