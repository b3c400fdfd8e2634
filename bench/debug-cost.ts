// What one read of a debug answer costs Mast at N synced sidecars: its RSS before, at the peak
// while the answer is read, and after (issue 10: one /debug/syncz at 1000 proxies added
// 250-400 MiB). The sidecars are bench/lib/sidecar.ts's, on the mesh bench/mesh-gen.ts writes,
// against `mast serve` started as the xDS load bench starts it.
//
//   node --import tsx bench/debug-cost.ts [--clients 1000] [--services 1000] [--transport sotw] [--reads 3]
//
// Each endpoint (/debug/syncz, one proxy's /debug/config_dump, /debug/diagnostics, /metrics) is
// read `--reads` times in turn, the body drained and dropped as it arrives, while Mast's VmRSS is
// sampled every 5 ms. Prints a markdown table and writes bench/results/debug-cost-DATE.json.
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sleep } from '../e2e/harness/net';
import { cleanup, tempDir } from '../e2e/harness/processes';
import { META, nodeId } from '../src/proxy/node';
import { NAMESPACE, writeMesh } from './mesh-gen';
import { machine } from './lib/machine';
import { peakRssMib, rssMib } from './lib/proc-stats';
import { loadProtos, Sidecar, type Transport } from './lib/sidecar';
import { startMast } from './lib/targets';

interface Read {
  endpoint: string;
  bytes: number;
  ms: number;
  rssBeforeMib: number;
  rssPeakMib: number;
  rssAfterMib: number;
}

/** GETs `url` and drains the body; resolves with its size and the peak of `sample()` meanwhile. */
function drain(url: string, sample: () => number): Promise<{ bytes: number; peak: number; ms: number }> {
  const started = performance.now();
  let peak = sample();
  const timer = setInterval(() => (peak = Math.max(peak, sample())), 5);
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        clearInterval(timer);
        resolve({ bytes, peak: Math.max(peak, sample()), ms: performance.now() - started });
      });
      res.on('error', reject);
    }).on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
  });
}

function node(i: number): { id: string; metadata: Record<string, string | Record<string, string>> } {
  const ip = `10.1.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
  return {
    id: nodeId('sidecar', ip, `debug-${i}.${NAMESPACE}`, NAMESPACE),
    metadata: { [META.namespace]: NAMESPACE, [META.labels]: { app: 'bench' }, [META.instanceIps]: ip, [META.interceptionMode]: 'REDIRECT' },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      services: { type: 'string', default: '1000' },
      transport: { type: 'string', default: 'sotw' },
      reads: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
    },
  });
  const clients = Number(values.clients);
  const info = machine();
  const work = tempDir('debug-cost');
  const configDir = path.join(work, 'mesh');
  writeMesh(configDir, Number(values.services));
  loadProtos();
  const loadAverage = os.loadavg()[0]!;
  const target = await startMast(configDir, work);
  const sidecars: Sidecar[] = [];
  try {
    const nodes = Array.from({ length: clients }, (_, i) => node(i));
    for (const n of nodes) sidecars.push(new Sidecar(target.xdsAddress, n, values.transport as Transport));
    await Promise.all(sidecars.map((s) => s.synced));
    const failed = sidecars.find((s) => s.failure);
    if (failed) throw failed.failure;
    await sleep(3000); // ACKs and trailing pushes settle
    const syncPeakMib = peakRssMib(target.pid);
    process.stderr.write(`${clients} sidecars synced; Mast RSS ${rssMib(target.pid).toFixed(0)} MiB, peak ${syncPeakMib.toFixed(0)} MiB\n`);
    const endpoints = ['/debug/syncz', `/debug/config_dump?proxy=${encodeURIComponent(nodes[0]!.id)}`, '/debug/diagnostics', '/metrics'];
    const reads: Read[] = [];
    for (let r = 0; r < Number(values.reads); r++) {
      for (const endpoint of endpoints) {
        await sleep(1000);
        const rssBeforeMib = rssMib(target.pid);
        const { bytes, peak, ms } = await drain(`${target.adminUrl}${endpoint}`, () => rssMib(target.pid));
        await sleep(500);
        reads.push({ endpoint: endpoint.replace(/\?.*/, ''), bytes, ms, rssBeforeMib, rssPeakMib: peak, rssAfterMib: rssMib(target.pid) });
      }
    }
    const result = { machine: info, options: { clients, services: Number(values.services), transport: values.transport }, loadAverage, syncPeakMib, peakRssAfterReadsMib: peakRssMib(target.pid), reads };
    mkdirSync(values.out, { recursive: true });
    const file = path.join(values.out, `debug-cost-${String(info.date).replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log('| endpoint | bytes | ms | RSS before (MiB) | RSS peak while read (MiB) | added (MiB) | RSS after (MiB) |\n|---|---|---|---|---|---|---|');
    for (const r of reads) console.log(`| ${r.endpoint} | ${r.bytes} | ${r.ms.toFixed(0)} | ${r.rssBeforeMib.toFixed(0)} | ${r.rssPeakMib.toFixed(0)} | ${(r.rssPeakMib - r.rssBeforeMib).toFixed(0)} | ${r.rssAfterMib.toFixed(0)} |`);
    console.log(`\nsync peak ${syncPeakMib.toFixed(0)} MiB, peak after the reads ${result.peakRssAfterReadsMib.toFixed(0)} MiB; load average ${loadAverage.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end\n${JSON.stringify(info)}\nresults: ${path.relative(process.cwd(), file)}`);
  } finally {
    for (const s of sidecars) s.close();
    await target.stop();
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`debug-cost: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit();
  });
