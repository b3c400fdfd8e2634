// Istio's own OpenAPI schemas, as compiled by @kubernetes-models/istio, checked synchronously.
//
// Why a worker: that package is ESM-only and exports only to `import`, while Mast is CommonJS and
// parsing must stay synchronous (the ConfigStore applies a change in one step, and
// `snapshotFromYaml` returns a value). Neither `require` (refused by the package's exports; under
// tsx the ESM is rewritten to CJS and its own imports then fail) nor a CommonJS `import()` (tsc
// turns it into `require`) can load it. A worker can `import()` it for real, and the main thread
// waits for each answer on an Atomics flag. A round trip costs ~0.1 ms; the worker is unref'd so it
// never keeps the process alive. Should Mast become ESM, this file shrinks to a plain import.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { SecurityKind } from '../types';

/** The Istio kinds whose fields Mast translates (and so says, field by field, which it ignores). */
export type TranslatedIstioKind = 'VirtualService' | 'DestinationRule' | 'Gateway' | 'ServiceEntry' | 'WorkloadEntry' | 'Sidecar' | 'Telemetry' | 'EnvoyFilter' | SecurityKind;
export type IstioKind = TranslatedIstioKind;
export type Segment = string | number;

export interface SchemaRequest {
  kind: IstioKind;
  /** A version Istio serves the kind at (`networking.istio.io/v1alpha3`, `security.istio.io/v1beta1`, ...); each is checked against its own schema. */
  apiVersion: string;
  raw: unknown;
  /** Fields to classify: does Istio's schema know them at all? */
  probes: Segment[][];
}

export interface SchemaAnswer {
  errors: { pointer: string; keyword: string; message: string; allowed?: unknown[] }[];
  /** One answer per probe. */
  known: boolean[];
}

// Runs as CommonJS inside the worker (the main thread's --import hooks, e.g. tsx, come along).
// A probe replaces a field's value with `[[]]`, which no Istio field type accepts: if the schema
// then complains at (or below) that field, the schema knows the field; unknown fields are never
// looked at, because the compiled schemas do not reject additional properties.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, flag, root } = workerData;
const models = new Map();
function model(apiVersion, kind) {
  const key = apiVersion + '/' + kind;
  if (!models.has(key)) models.set(key, import(root + '/' + key + '.js').then((m) => m[kind]));
  return models.get(key);
}
function errorsOf(Model, raw) {
  try { new Model(raw).validate(); return []; }
  catch (e) { if (!Array.isArray(e.errors)) throw e; return e.errors; }
}
function knows(Model, raw, segments) {
  // Only the path to the field is copied: a probe costs the field's depth, not the object's size
  // (an object whose aliases expand to many nodes has many ignored fields to probe). Siblings left
  // out draw errors elsewhere, never under the probed field.
  const copy = { apiVersion: raw.apiVersion, kind: raw.kind, metadata: raw.metadata };
  let parent = copy;
  let from = raw;
  for (const s of segments.slice(0, -1)) {
    from = from[s];
    parent = parent[s] = Array.isArray(from) ? [] : {};
  }
  parent[segments[segments.length - 1]] = [[]];
  const pointer = '/' + segments.map((s) => String(s).replace(/~/g, '~0').replace(/\\//g, '~1')).join('/');
  return errorsOf(Model, copy).some((e) => e.instancePath === pointer || e.instancePath.startsWith(pointer + '/'));
}
port.on('message', async ({ id, kind, apiVersion, raw, probes }) => {
  let answer;
  try {
    const Model = await model(apiVersion, kind);
    const errors = errorsOf(Model, raw).map((e) => ({ pointer: e.instancePath, keyword: e.keyword, message: e.message, allowed: e.params && e.params.allowedValues }));
    answer = { errors, known: probes.map((p) => knows(Model, raw, p)) };
  } catch (e) {
    answer = { failure: String((e && e.stack) || e) };
  }
  port.postMessage({ id, ...answer });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

// Generous: the first answer includes starting the worker and loading the schemas on a busy machine.
const ANSWER_TIMEOUT_MS = 30_000;

let channel: { port: MessagePort; flag: Int32Array } | undefined;

function start(): { port: MessagePort; flag: Int32Array } {
  const root = pathToFileURL(path.dirname(require.resolve('@kubernetes-models/istio/package.json'))).href;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, flag, root }, transferList: [port2] });
  worker.unref();
  port1.unref();
  return { port: port1, flag };
}

let nextId = 0;

/**
 * Istio's schema verdict on one object, waited for synchronously. Each request carries an id the
 * answer echoes: the worker's notify for one answer can arrive while the next request is being
 * waited for (a wake-up with no answer yet), and an answer to a request that timed out can arrive
 * late; neither may be read as the answer to this request.
 */
export function checkIstioSchema(request: SchemaRequest): SchemaAnswer {
  channel ??= start();
  const id = ++nextId;
  Atomics.store(channel.flag, 0, 0);
  channel.port.postMessage({ id, ...request });
  const deadline = performance.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const message = receiveMessageOnPort(channel.port)?.message as (SchemaAnswer & { id: number; failure?: string }) | undefined;
    if (message?.id === id) {
      if (message.failure) throw new Error(`Istio schema check failed: ${message.failure}`);
      return message;
    }
    if (message) continue; // a late answer to an earlier request
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`Istio schema worker did not answer within ${ANSWER_TIMEOUT_MS} ms`);
    Atomics.wait(channel.flag, 0, 0, left);
    Atomics.store(channel.flag, 0, 0);
  }
}
