import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PreforkIPC } from '../prefork-ipc';
import { parseCommandLine, USAGE, UsageError, type Command } from './args';
import { checkHandlerPath } from './load-handler';
import { CliCoordinator } from './coordinator';
import { runJobLoop } from './job-loop';
import { complain, EXIT_USAGE } from './exit-codes';
import { connectQueue, isQueueCommand, runQueueCommand, workerArgs } from '../queue/commands';

/** For bin/prefork-ipc.js, which loads only this module. */
export { complain, EXIT_FAILED, EXIT_USAGE } from './exit-codes';

function version(): string {
  const manifest = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Why the JOBS file cannot be read, or undefined (also for standard input). */
function checkJobsPath(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isDirectory()) return `JOBS ${JSON.stringify(file)} is a directory`;
  } catch (err) {
    return `cannot read JOBS ${JSON.stringify(file)}: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * The `prefork-ipc` command. This one script is both the manager and, re-executed
 * by PreforkIPC with the same arguments, every worker.
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === 'ctl') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this subcommand
    const { runCtl } = require('./ctl') as typeof import('./ctl');
    process.exitCode = await runCtl(argv.slice(1));
    return;
  }
  if (isQueueCommand(argv)) {
    process.exitCode = await runQueueCommand(argv);
    return;
  }
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    complain(`${err.message}\n\n${USAGE}`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (command.kind === 'help') return void process.stdout.write(`${USAGE}\n`);
  if (command.kind === 'version') return void process.stdout.write(`${version()}\n`);

  const { options } = command;
  const coordinator = new CliCoordinator(options);
  const preforkOptions = coordinator.preforkOptions();
  // Workers never connect to the queue: they are not given its URL (nor, from connectQueue, $PGBOSS_URL).
  if (options.queue) preforkOptions.exec = { args: workerArgs(argv) };
  const ppi = new PreforkIPC(preforkOptions);
  if (ppi.isChild) {
    await runJobLoop(ppi, options.handler, options.maxJobsPerWorker);
    return;
  }
  const problem = checkHandlerPath(options.handler) ?? checkJobsPath(options.input);
  if (problem) {
    complain(problem);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (options.queue) {
    // Only the manager connects: workers get their jobs through it.
    const source = await connectQueue(options);
    if (!source) return void (process.exitCode = EXIT_USAGE);
    coordinator.source = source;
  }
  const status = await coordinator.run(ppi);
  // Exit now: a paused standard input (after Ctrl-C) would otherwise keep the process alive.
  process.exit(status);
}
