#!/usr/bin/env node
'use strict';
// The published entry point runs the compiled CLI (built by `npm run build`, which `npm ci` runs).
require('../dist/src/cli/main.js');
