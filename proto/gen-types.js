#!/usr/bin/env node
// Generates TypeScript types for the xDS service protos with the generator @grpc/proto-loader
// ships, from the .proto trees @grpc/grpc-js-xds vendors. Output is git-ignored: it is rebuilt
// by `npm run build` (and so by `npm ci`, whose prepare step builds).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { includeDirs, serviceProtos } = require('./roots');

const out = path.join(__dirname, 'gen');
const bin = require.resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
execFileSync(process.execPath, [
  bin, '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs',
  '--grpcLib=@grpc/grpc-js', `--outDir=${out}`,
  ...includeDirs.map((d) => `-I${d}`),
  ...serviceProtos,
], { stdio: 'inherit' });
