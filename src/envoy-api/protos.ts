// Loads Envoy's .proto files (vendored by @grpc/grpc-js-xds, listed in proto/roots.js) twice over:
// proto-loader for the gRPC service definitions, and one protobufjs Root for encoding resources.
// A leaf that imports nothing of Mast's but paths.ts, so model/ (reading EnvoyFilter values as
// Envoy messages, envoy-proto-json.ts) and xds/ (encoding, validation, the services) both use it
// without model/ depending on xds/, which is downstream of it (/work/shared/design.md).
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { packageRoot } from '../paths';

interface Roots {
  includeDirs: string[];
  serviceProtos: string[];
  resourceProtos: string[];
}

function roots(): Roots {
  return require(path.join(packageRoot(), 'proto', 'roots.js')) as Roots;
}

let services: protoLoader.PackageDefinition | undefined;

export function serviceDefinitions(): protoLoader.PackageDefinition {
  if (!services) {
    const r = roots();
    services = protoLoader.loadSync(r.serviceProtos, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: r.includeDirs,
    });
  }
  return services;
}

let resourceRoot: protobuf.Root | undefined;

/** One Root holding every resource and extension type Mast emits, with snake_case field names. */
export function resourceTypes(): protobuf.Root {
  if (!resourceRoot) {
    const r = roots();
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      if (path.isAbsolute(target)) return target;
      for (const dir of r.includeDirs) {
        const candidate = path.join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    root.loadSync(r.resourceProtos, { keepCase: true });
    root.resolveAll();
    resourceRoot = root;
  }
  return resourceRoot;
}
