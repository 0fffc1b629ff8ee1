#!/usr/bin/env node
'use strict';
// The `prefork-ipc` command. The code lives in lib/cli/ (compiled to dist/cli/ by `npm run build`).
// PreforkIPC re-executes this very file, with the same arguments, for every worker.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main/.test(err.message)) {
    process.stderr.write('prefork-ipc: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`prefork-ipc: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
