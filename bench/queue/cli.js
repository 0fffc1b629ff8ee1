#!/usr/bin/env node
'use strict';
// bin/prefork-ipc.js, loading the benchmark's snapshot of dist/ (BENCH_DIST) instead of dist/.
const path = require('node:path');
const dist = process.env.BENCH_DIST || path.join(__dirname, '..', '..', 'dist');
require(path.join(dist, 'cli', 'main.js'))
  .main(process.argv.slice(2))
  .catch((err) => {
    process.stderr.write(`prefork-ipc: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
