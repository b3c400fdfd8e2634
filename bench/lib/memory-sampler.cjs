// Where a server's memory goes while the bench loads it: preloaded into Mast with
//   BENCH_MAST_NODE_ARGS="--require $PWD/bench/lib/memory-sampler.cjs" MEMORY_SAMPLES=FILE node --import tsx bench/xds-load.ts ...
// it appends one JSON line to FILE every 200 ms: process.memoryUsage() (heapTotal, heapUsed,
// external, arrayBuffers), VmRSS and VmHWM, and V8's heap spaces ([size, used] per space); and
// /proc/self/smaps_rollup whenever VmRSS reaches a new high by 8 MiB. With
// MEMORY_SNAPSHOT_AB=N (MiB) it also writes one heap snapshot beside FILE the first time array
// buffers reach N MiB (a snapshot holds live objects only, so it shows who keeps them), and with
// MEMORY_SNAPSHOT_RSS=N (MiB) the first time VmRSS reaches N MiB. MEMORY_ALLOC_PROFILE=1 also
// samples allocations (startAllocationProfile below). Each Mast
// process the bench starts appends to the same FILE; `t` (ms since the sampler loaded) starts
// again at each. Plain CommonJS so it loads in the compiled Mast (BENCH_MAST_BUILD=dist) as well
// as under tsx. BENCHMARKS.md, "Memory per proxy", was measured with it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { isMainThread } = require('node:worker_threads');

const out = process.env.MEMORY_SAMPLES;
if (out && isMainThread) {
  const started = Date.now();
  const snapshotAt = Number(process.env.MEMORY_SNAPSHOT_AB || 0);
  const snapshotAtRss = Number(process.env.MEMORY_SNAPSHOT_RSS || 0);
  let snapshotTaken = false;
  let lastHigh = 0;
  const mib = (bytes) => Math.round(bytes / 2 ** 20);
  const status = () => {
    const text = fs.readFileSync('/proc/self/status', 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { vmRss: kib('VmRSS') >> 10, vmHwm: kib('VmHWM') >> 10 };
  };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const line = { t: Date.now() - started, ...status(), heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) };
    line.spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), [mib(s.space_size), mib(s.space_used_size)]]));
    if (line.vmRss >= lastHigh + 8) {
      lastHigh = line.vmRss;
      const rollup = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
      line.smaps = Object.fromEntries([...rollup.matchAll(/^(\w+):\s+(\d+) kB/gm)].map(([, k, v]) => [k, Number(v) >> 10]));
    }
    if (!snapshotTaken && ((snapshotAt && line.arrayBuffers >= snapshotAt) || (snapshotAtRss && line.vmRss >= snapshotAtRss))) {
      snapshotTaken = true;
      line.snapshot = v8.writeHeapSnapshot(path.join(path.dirname(out), `mast-${process.pid}.heapsnapshot`));
    }
    fs.appendFileSync(out, JSON.stringify(line) + '\n');
  }, 200);
  timer.unref();
  if (process.env.MEMORY_ALLOC_PROFILE) startAllocationProfile(path.join(path.dirname(out), `mast-${process.pid}`));
}

/**
 * V8's sampling heap profiler, keeping also the objects a major GC collected: those lived through
 * two scavenges into old space and died there, the garbage that grows old space between major
 * GCs. The cumulative profile is written every 10 s to PREFIX-<t>.heapprofile (Chrome DevTools'
 * format; `t` in ms since start; each sample's `ordinal` orders allocations across files).
 */
function startAllocationProfile(prefix) {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const started = Date.now();
  session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false }, (err) => {
    if (err) process.emitWarning(`memory sampler: allocation profile not started: ${err.message}`);
  });
  const write = setInterval(() => {
    session.post('HeapProfiler.getSamplingProfile', (err, result) => {
      if (!err) fs.writeFileSync(`${prefix}-${Date.now() - started}.heapprofile`, JSON.stringify(result.profile));
    });
  }, 10_000);
  write.unref();
}
