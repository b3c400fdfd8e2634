// Fixtures shared by the unit tests of src/xds/validate (test/xds/validate-*.test.ts): a test
// proto carrying the PGV rule kinds Envoy's protos do not use, loaded as src/envoy-api/protos.ts loads
// Envoy's; Mast's golden outputs as resources; small route table builders for the load checks.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import * as protobuf from 'protobufjs';
import { checkEnvoySemantics, type Violation } from '../../src/xds/validate';
import { ProtoRules } from '../../src/xds/validate/pgv';

const deps = join(__dirname, '../../node_modules/@grpc/grpc-js-xds/deps');


// Rule kinds Envoy's loaded protos do not use (int64, float, bytes, timestamp, map keys, skip,
// disabled, ignored, ...) on a proto of our own, loaded the way src/envoy-api/protos.ts loads Envoy's.
const TEST_PROTO = `
syntax = "proto3";
package t;
import "validate/validate.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/any.proto";
import "google/protobuf/wrappers.proto";

enum Color { RED = 0; GREEN = 1; BLUE = 2; }

message Strings {
  string min = 1 [(validate.rules).string.min_len = 2];
  string max = 2 [(validate.rules).string = {max_len: 3}];
  string between = 3 [(validate.rules).string = {min_len: 1, max_len: 2}];
  string exact = 4 [(validate.rules).string.len = 2];
  string bytes_max = 5 [(validate.rules).string.max_bytes = 3];
  string bytes_between = 6 [(validate.rules).string = {min_bytes: 1, max_bytes: 2}];
  string bytes_exact = 7 [(validate.rules).string.len_bytes = 2];
  string pattern = 8 [(validate.rules).string.pattern = "^[a-z]+$"];
  string prefix = 9 [(validate.rules).string.prefix = "x-"];
  string suffix = 10 [(validate.rules).string.suffix = ".com"];
  string contains = 11 [(validate.rules).string.contains = "mid"];
  string not_contains = 12 [(validate.rules).string.not_contains = "bad"];
  string in = 13 [(validate.rules).string = {in: ["a", "b"]}];
  string not_in = 14 [(validate.rules).string = {not_in: ["z"]}];
  string const = 15 [(validate.rules).string.const = "k"];
  string name_strict = 16 [(validate.rules).string.well_known_regex = HTTP_HEADER_NAME];
  string name_loose = 17 [(validate.rules).string = {well_known_regex: HTTP_HEADER_NAME, strict: false}];
  string value_strict = 18 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
  string ip = 19 [(validate.rules).string.ip = true];
  string ipv4 = 20 [(validate.rules).string.ipv4 = true];
  string ipv6 = 21 [(validate.rules).string.ipv6 = true];
  string hostname = 22 [(validate.rules).string.hostname = true];
  string address = 23 [(validate.rules).string.address = true];
  string uuid = 24 [(validate.rules).string.uuid = true];
  string ignore_empty = 25 [(validate.rules).string = {min_len: 5, ignore_empty: true}];
  string runes = 26 [(validate.rules).string.max_len = 2];
}

message Numbers {
  int32 i32 = 1 [(validate.rules).int32 = {gt: 0, lt: 10}];
  int64 i64 = 2 [(validate.rules).int64 = {gte: -5, lte: 5}];
  uint64 u64 = 3 [(validate.rules).uint64.lte = 18446744073709551615];
  uint32 outside = 4 [(validate.rules).uint32 = {lt: 10, gt: 20}];
  double d = 5 [(validate.rules).double = {gt: 0, lte: 1}];
  float f = 6 [(validate.rules).float.gte = 0.5];
  sint32 c = 7 [(validate.rules).sint32.const = 3];
  fixed32 in = 8 [(validate.rules).fixed32 = {in: [1, 2]}];
  sfixed64 not_in = 9 [(validate.rules).sfixed64 = {not_in: [7]}];
  uint32 ignore_empty = 10 [(validate.rules).uint32 = {gte: 5, ignore_empty: true}];
  google.protobuf.UInt32Value wrapped = 11 [(validate.rules).uint32.lte = 100];
  google.protobuf.UInt32Value wrapped_required = 12 [(validate.rules).uint32.lte = 100, (validate.rules).message.required = true];
  bool yes = 13 [(validate.rules).bool.const = true];
  bytes b = 14 [(validate.rules).bytes = {min_len: 2, prefix: "YQ=="}];
  bytes b_in = 15 [(validate.rules).bytes = {in: ["YQ==", "Yg=="]}];
}

message Enums {
  Color defined = 1 [(validate.rules).enum.defined_only = true];
  Color in = 2 [(validate.rules).enum = {in: [1, 2]}];
  Color not_in = 3 [(validate.rules).enum = {not_in: [0]}];
  Color const = 4 [(validate.rules).enum.const = 2];
}

message Leaf { string name = 1 [(validate.rules).string.min_len = 1]; }

message Collections {
  repeated string few = 1 [(validate.rules).repeated = {min_items: 1, max_items: 2}];
  repeated string exact = 2 [(validate.rules).repeated = {min_items: 2, max_items: 2}];
  repeated string unique = 3 [(validate.rules).repeated.unique = true];
  repeated uint32 items = 4 [(validate.rules).repeated.items.uint32.lte = 9];
  repeated Leaf leaves = 5;
  map<string, Leaf> pairs = 6 [(validate.rules).map = {min_pairs: 1, keys: {string: {min_len: 2}}}];
  map<string, uint32> values = 7 [(validate.rules).map.values.uint32.gt = 0];
  repeated string ignore_empty = 8 [(validate.rules).repeated = {min_items: 2, ignore_empty: true}];
  repeated string at_most = 9 [(validate.rules).repeated.max_items = 1];
}

message Messages {
  Leaf required = 1 [(validate.rules).message.required = true];
  Leaf skipped = 2 [(validate.rules).message.skip = true];
  Leaf plain = 3;
  oneof choice {
    option (validate.required) = true;
    string a = 4 [(validate.rules).string.min_len = 3];
    string b = 5;
  }
  google.protobuf.Duration dur_required = 6 [(validate.rules).duration.required = true];
  google.protobuf.Duration dur_range = 7 [(validate.rules).duration = {gte: {nanos: 1000000}, lt: {seconds: 300}}];
  google.protobuf.Duration dur_gap = 8 [(validate.rules).duration = {lte: {}, gte: {seconds: 1}}];
  google.protobuf.Duration dur_in = 9 [(validate.rules).duration = {in {seconds: 1} in {seconds: 2}}];
  google.protobuf.Timestamp ts = 10 [(validate.rules).timestamp.gt = {seconds: 1000}];
  google.protobuf.Any any_in = 11 [(validate.rules).any = {required: true, in: ["type.googleapis.com/t.Leaf"]}];
  google.protobuf.Any any_not_in = 12 [(validate.rules).any = {not_in: ["type.googleapis.com/t.Leaf"]}];
}

message Disabled {
  option (validate.disabled) = true;
  string name = 1 [(validate.rules).string.min_len = 1];
}

message Ignored {
  option (validate.ignored) = true;
  string name = 1 [(validate.rules).string.min_len = 1];
}

message Holder {
  Disabled disabled = 1;
  Ignored ignored = 2;
}
`;

/** The test proto's compiled rules (`t.Strings`, `t.Numbers`, ...), from a temporary file removed after the tests. */
export function testRules(): ProtoRules {
  const dir = mkdtempSync(join(tmpdir(), 'mast-pgv-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 't.proto'), TEST_PROTO);
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (target === 't.proto' ? join(dir, target) : target.startsWith('validate/') ? join(deps, 'protoc-gen-validate', target) : target);
  root.loadSync('t.proto', { keepCase: true });
  root.resolveAll();
  return new ProtoRules(root);
}

/** The violation at `path` (asserting there is exactly one). */
export function at(list: Violation[], path: string): Violation {
  const found = list.filter((v) => v.path === path);
  assert.equal(found.length, 1, `expected one violation at ${path}, got ${JSON.stringify(list, null, 1)}`);
  return found[0] as Violation;
}

/** The one violation `rules` finds at `path` in a `t.<type>` message. */
export function one(rules: ProtoRules, type: string, json: unknown, path: string): Violation {
  return at(rules.check(`t.${type}`, json), path);
}

/** Asserts `rules` finds nothing at `path` in a `t.<type>` message. */
export function none(rules: ProtoRules, type: string, json: unknown, path: string): void {
  const list = rules.check(`t.${type}`, json).filter((v) => v.path === path);
  assert.deepEqual(list, [], `no violation expected at ${path}`);
}

/** The golden outputs' files, by the resource kind they hold and its proto type. */
export const GOLDEN_FILES = {
  route: { file: 'routes', type: 'envoy.config.route.v3.RouteConfiguration' },
  cluster: { file: 'clusters', type: 'envoy.config.cluster.v3.Cluster' },
  cla: { file: 'endpoints', type: 'envoy.config.endpoint.v3.ClusterLoadAssignment' },
  listener: { file: 'listeners', type: 'envoy.config.listener.v3.Listener' },
} as const;
export type Kind = keyof typeof GOLDEN_FILES;

/** Every resource of the golden outputs (test/golden/NAME/expected), in directory order: its kind, proto type, JSON and where it is (`dir/routes[0]`). */
export function goldenResources(): { kind: Kind; type: string; json: Record<string, unknown>; where: string }[] {
  const root = join(__dirname, '../golden');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (Object.keys(GOLDEN_FILES) as Kind[]).flatMap((kind) => {
      const { file, type } = GOLDEN_FILES[kind];
      const list = JSON.parse(readFileSync(join(root, d.name, 'expected', `${file}.json`), 'utf8')) as Record<string, unknown>[];
      return list.map((json, i) => ({ kind, type, json, where: `${d.name}/${file}[${i}]` }));
    }));
}

export const RC = 'envoy.config.route.v3.RouteConfiguration';
const LIMITS = { regexMaxProgramSize: 100 };

/** Envoy's load checks on `json` of proto `type`, with a regex program size limit of 100 unless given. */
export function semantic(type: string, json: unknown, limits = LIMITS): Violation[] {
  return checkEnvoySemantics(type, json, limits);
}

/** A RouteConfiguration named r. */
export function routeTable(virtualHosts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'r', virtual_hosts: virtualHosts, ...extra };
}

/** A virtual host, by default with one route to cluster c. */
export function vh(name: string, domains: string[], routes: unknown[] = [{ match: { prefix: '/' }, route: { cluster: 'c' } }], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, domains, routes, ...extra };
}

/** A route table whose one virtual host has one route (prefix /) with `route`'s fields. */
export function withRoute(route: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return routeTable([vh('v', ['*'], [{ match: { prefix: '/' }, ...route }])], extra);
}
