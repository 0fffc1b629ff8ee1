#!/usr/bin/env node
'use strict';
// The `prefork-ipc` command. The code lives in lib/cli/ (compiled to dist/cli/ by `npm run build`).
// PreforkIPC re-executes this very file, with the same arguments, for every worker.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main/.test(err.message)) {
    // The one status and prefix not read from lib/cli/exit-codes.ts: it is not built (EXIT_USAGE, STDERR_PREFIX).
    process.stderr.write('prefork-ipc: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv.slice(2)).catch((err) => {
  cli.complain(`${err && err.stack ? err.stack : err}`);
  process.exit(cli.EXIT_FAILED);
});
