#!/usr/bin/env node
'use strict';
/*
 * Mutation check: does the suite notice small, realistic bugs in lib/?
 *
 *   node scripts/mutate.js                 every mutation, each against its own spec subset
 *   node scripts/mutate.js --list          the mutations (and whether each search text is still found), nothing run
 *   node scripts/mutate.js --only a,b      only these (by id)
 *   node scripts/mutate.js --full          each mutation against the whole suite (slow: ~10 min each)
 *   node scripts/mutate.js --baseline      also run every subset once unmutated first (a failing
 *                                          baseline makes "killed" meaningless for that subset)
 *   node scripts/mutate.js --keep          keep the scratch copy (its path is printed)
 *
 * It copies the working tree (tracked and untracked, not ignored files: your uncommitted
 * changes included) into a scratch directory under the system temp dir, with node_modules
 * as a symlink to this checkout's. Then, one mutation at a time: put the pristine sources
 * back, replace the mutation's exact search text (which must occur exactly once), rebuild
 * dist/, run jest on the mutation's spec files (and test-name filter, if any), and record
 * whether some test failed ("killed") or all passed ("SURVIVED"). It prints a Markdown
 * table at the end. Nothing in this checkout is changed. Not part of CI: it takes minutes.
 *
 * A mutation is { id, file, search, replace, specs, name?, unit?, why }. `specs` are the
 * spec files that should catch it (kept small so a run stays affordable); `name` is a jest
 * -t pattern narrowing them further; `unit` are spec/unit/ files run whole, in a second jest
 * run (they are fast, and their test names would not match `name`). When you add a behaviour, add the mutation that deletes
 * it here, and check that it is killed.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** A jest run that takes longer than this counts as killed (the suite hung on the mutant). */
const RUN_LIMIT_MS = 5 * 60_000;
/** Per-test timeout for mutant runs: a mutant that makes a test wait forever should not cost 60 s a test. */
const TEST_TIMEOUT_MS = 30_000;

const MUTATIONS = [
  // ---- the three survivors of issue 13 ----
  {
    id: 'start-keeps-signalReceived',
    file: 'lib/manager/manager.ts',
    search: "    this.signalReceived = '';\n    this.#crashing = false;",
    replace: '    this.#crashing = false;',
    specs: ['spec/signals.test.ts'],
    why: "start() no longer clears signalReceived; generation 2 sees 'HUP'",
  },
  {
    id: 'cli-crlf-blank-is-a-job',
    file: 'lib/cli/job-reader.ts',
    search: 'const BLANK = /^[ \\t\\r]*$/;',
    replace: 'const BLANK = /^[ \\t]*$/;',
    specs: ['spec/cli.test.ts'],
    name: 'CRLF|malformed lines',
    unit: ['spec/unit/cli/job-reader.test.ts'],
    why: 'a CRLF blank line in a job file becomes a failed job',
  },
  {
    id: 'err-respawn-after-status-0',
    file: 'lib/manager/manager.ts',
    search: 'if (status !== 0 && this.options.errRespawnInterval > 0) {',
    replace: 'if (this.options.errRespawnInterval > 0) {',
    specs: ['spec/prefork.test.ts'],
    why: 'errRespawnInterval also pauses after a child that exited 0',
  },
  // ---- manager ----
  {
    id: 'no-err-respawn-pause',
    file: 'lib/manager/manager.ts',
    search: '        this.#pausedUntil = Date.now() + this.options.errRespawnInterval;\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/prefork.test.ts'],
    why: 'no pause after a non-zero exit (crash pacing alone left)',
  },
  {
    id: 'no-crash-pacing',
    file: 'lib/manager/manager.ts',
    search: 'const interval = this.#crashing ? Math.max(this.options.spawnInterval, this.options.errRespawnInterval) : this.options.spawnInterval;',
    replace: 'const interval = this.options.spawnInterval;',
    specs: ['spec/pool-lifecycle.test.ts'],
    why: 'a crash loop refills all maxWorkers slots per errRespawnInterval',
  },
  {
    id: 'crash-pacing-never-ends',
    file: 'lib/manager/manager.ts',
    search: '        if (status === 0 || lifetime.finished) this.#crashing = false;\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/prefork.test.ts'],
    name: 'crash|errRespawnInterval',
    why: 'once crashing, spawns stay one per errRespawnInterval even after healthy children',
  },
  {
    id: 'no-spawn-interval',
    file: 'lib/manager/manager.ts',
    search: '      this.#nextSpawnAt = now + interval;',
    replace: '      this.#nextSpawnAt = now;',
    specs: ['spec/prefork.test.ts'],
    why: 'spawnInterval ignored',
  },
  {
    id: 'reload-counts-as-crash',
    file: 'lib/manager/manager.ts',
    search: 'if (this.running && child.generation === this.generation && child.stopSent === undefined) {',
    replace: 'if (this.running && child.stopSent === undefined) {',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'reload|earlier generation',
    why: 'a child of an earlier generation exiting non-zero counts as a crash of this one',
  },
  {
    id: 'no-grace-kill',
    file: 'lib/manager/manager.ts',
    search: '    if (this.options.gracePeriod !== null) child.killLater(this.options.gracePeriod, signal);\n',
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'graceful stop',
    why: 'no SIGKILL after gracePeriod',
  },
  {
    id: 'no-forward-during-wait',
    file: 'lib/manager/manager.ts',
    search: '    else if (this.#waiters.size > 0) this.#forward(name);\n',
    replace: '',
    specs: ['spec/signals.test.ts', 'spec/pool-lifecycle.test.ts'],
    name: 'waitAllChildren',
    why: 'a signal (or stop()) during waitAllChildren() reaches no child',
  },
  {
    id: 'spawn-after-stop-in-beforeFork',
    file: 'lib/manager/manager.ts',
    search: '    if (!this.#starting) return undefined;\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'beforeFork',
    why: 'stop() from beforeFork still spawns that child',
  },
  {
    id: 'wait-timeout-says-0',
    file: 'lib/manager/manager.ts',
    search: '          resolve(this.children.size);',
    replace: '          resolve(0);',
    specs: ['spec/signals.test.ts'],
    why: 'waitAllChildren(timeout) resolves 0 however many children are left',
  },
  {
    id: 'wait-ignores-async-onChildReap',
    file: 'lib/manager/manager.ts',
    search: '      this.#reapHooks.add(done);\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/finish.test.ts'],
    why: 'waitAllChildren() resolves before an async onChildReap has settled',
  },
  {
    id: 'maxWorkers-setter-no-fill',
    file: 'lib/manager/manager.ts',
    search: '    if (this.#maxWorkers > 0) this.#retireSurplus();\n    this.#fill();',
    replace: '    if (this.#maxWorkers > 0) this.#retireSurplus();',
    specs: ['spec/cli.test.ts'],
    name: 'retries',
    why: 'raising maxWorkers at run time spawns nothing until some other event',
  },
  {
    id: 'exit-guard-kills-nothing',
    file: 'lib/manager/exit-guard.ts',
    search: "    for (const each of living) each.kill('SIGTERM');\n",
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'no child outlives',
    why: 'a manager that exits or throws leaves its children running',
  },
  {
    id: 'signalAllChildren-counts-none',
    file: 'lib/manager/manager.ts',
    search: 'if (child.kill(nodeSignal(signal))) reached++;',
    replace: 'child.kill(nodeSignal(signal));',
    specs: ['spec/signals.test.ts'],
    name: 'waitAllChildren\\(timeout\\)',
    why: 'signalAllChildren() says it reached no child',
  },
  {
    id: 'stagger-all-at-once',
    file: 'lib/manager/stagger.ts',
    search: '      this.#timer = setTimeout(() => this.run(), Math.min(this.intervalMs, MAX_TIMER_MS));',
    replace: '      this.run();',
    specs: ['spec/signals.test.ts'],
    name: 'one child at a time',
    unit: ['spec/unit/manager/stagger.test.ts'],
    why: '[signal, intervalMs] signals every child at once',
  },
  {
    id: 'no-crash-warning',
    file: 'lib/manager/manager.ts',
    search: '            warn(\n              `child ${child.pid} exited with status ${status} without calling finish(); ` +\n                `next spawn in ${this.options.errRespawnInterval} ms (errRespawnInterval)`,\n            );\n',
    replace: '',
    specs: ['spec/prefork.test.ts'],
    name: 'errRespawnInterval pauses',
    why: 'a child dying without finish() is not reported on stderr',
  },
  {
    id: 'callback-timeout-ignored',
    file: 'lib/manager/callback-server.ts',
    search: '      if (this.timeoutMs === undefined) return { ok: true, result: await running };',
    replace: '      return { ok: true, result: await running };',
    specs: ['spec/callbacks.test.ts'],
    name: 'handler errors',
    unit: ['spec/unit/manager/callback-server.test.ts'],
    why: 'callbackTimeout never fires',
  },
  // ---- the manager's handle on one child ----
  {
    id: 'child-handle-cr-line-is-malformed',
    file: 'lib/manager/child-handle.ts',
    search: 'if (isBlankLine(line)) return;',
    replace: 'if (line.length === 0) return;',
    specs: ['spec/callbacks.test.ts'],
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: "a '\\r' line (CRLF) from a child is warned about as malformed",
  },
  {
    id: 'replies-not-held-for-slow-reader',
    file: 'lib/manager/child-handle.ts',
    search: 'if (this.channel.backlogged || this.#heldReplies.length > 0) {',
    replace: 'if (this.#heldReplies.length > 0) {',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'stops reading',
    why: 'answers to a child that does not read are serialised at once (memory grows)',
  },
  {
    id: 'malformed-with-id-gets-no-reply',
    file: 'lib/manager/child-handle.ts',
    search: "      if (id !== undefined) this.#reply(id, { ok: false, code: 'MALFORMED', message: `malformed message: ${reason}` });\n      else this.#send",
    replace: '      this.#send',
    specs: ['spec/callbacks.test.ts'],
    why: 'a malformed call with an id is never answered (the child would wait forever)',
  },
  {
    id: 'no-pipe-close-grace',
    file: 'lib/manager/child-handle.ts',
    search: '        this.#pipeCloseTimer = setTimeout(() => this.channel.destroy(), PIPE_CLOSE_GRACE_MS);\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'grandchild',
    why: 'a grandchild holding the pipe keeps an exited child from being reaped',
  },
  // ---- child runtime ----
  {
    id: 'child-ignores-manager-exit',
    file: 'lib/child/runtime.ts',
    search: "    if (policy === 'terminate') process.kill(process.pid, 'SIGTERM');\n    else if",
    replace: '    if',
    specs: ['spec/chaos.test.ts'],
    name: 'no child outlives',
    why: "orphan protection broken: children of a SIGKILLed manager live on (once hung the suite)",
  },
  {
    id: 'child-always-holds-event-loop',
    file: 'lib/child/runtime.ts',
    search: 'this.#channel.setRef(!this.#helloReceived || this.#waiting !== undefined || this.#pending.size > 0);',
    replace: 'this.#channel.setRef(true);',
    specs: ['spec/finish.test.ts'],
    name: 'falsy',
    why: 'a child that returns without finish() never exits',
  },
  {
    id: 'child-error-reply-resolves',
    file: 'lib/child/runtime.ts',
    search: '        if (message.error) {\n          const { code, message: text, cause } = message.error;\n          call.reject(new CallbackError(code, call.name, text, cause === undefined ? undefined : errorShape().fromReportedError(cause)));\n        } else call.resolve(message.result);',
    replace: '        call.resolve(message.result);',
    specs: ['spec/callbacks.test.ts'],
    why: 'a failed callback resolves undefined instead of rejecting',
  },
  {
    id: 'finish-does-not-wait-for-ack',
    file: 'lib/child/runtime.ts',
    search: "await new Promise<unknown>((resolve) => this.#request(id, line, { name: 'finish', resolve, reject: resolve }));",
    replace: "this.#request(id, line, { name: 'finish', resolve: () => {}, reject: () => {} });",
    specs: ['spec/finish.test.ts'],
    name: '50 MB',
    why: 'finish() exits once the payload is queued, not once the manager has it',
  },
  {
    id: 'finish-does-not-flush-stdio',
    file: 'lib/child/runtime.ts',
    search: '      await flushStdio();\n      process.exit(exitCode);',
    replace: '      process.exit(exitCode);',
    specs: ['spec/chaos.test.ts'],
    name: 'output is never lost',
    why: 'finish() exits without draining stdout/stderr',
  },
  {
    id: 'child-managerPid-before-hello-0',
    file: 'lib/child/runtime.ts',
    search: '  managerPid = process.ppid;',
    replace: '  managerPid = 0;',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'managerPid',
    why: 'managerPid is 0 in a child until the hello arrives',
  },
  {
    id: 'child-generation-stays-0',
    file: 'lib/child/runtime.ts',
    search: '        this.generation = message.generation;\n',
    replace: '',
    specs: ['spec/signals.test.ts'],
    name: 'HUP mapped to TERM',
    why: 'a child does not learn its generation from the hello',
  },
  {
    id: 'onManagerExit-function-not-called',
    file: 'lib/child/runtime.ts',
    search: "    else if (typeof policy === 'function') policy(this.owner);\n",
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'finish their current work',
    why: 'an onManagerExit function is never called',
  },
  // ---- codec and channel ----
  {
    id: 'codec-sends-function-payload',
    file: 'lib/protocol/codec.ts',
    search: "if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {",
    replace: "if (kind === 'bigint') {",
    specs: ['spec/callbacks.test.ts'],
    name: 'handler errors',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'a function payload is sent as undefined instead of failing with BAD_PAYLOAD',
  },
  {
    id: 'codec-size-fast-path-counts-units',
    file: 'lib/protocol/codec.ts',
    search: 'if (line.length * 3 + 1 > maxBytes) {',
    replace: 'if (line.length + 1 > maxBytes) {',
    specs: ['spec/chaos.test.ts'],
    name: 'limits',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'multi-byte text under maxMessageBytes in UTF-16 units but over it in bytes is sent anyway',
  },
  {
    id: 'codec-accepts-arrays',
    file: 'lib/protocol/codec.ts',
    search: "if (typeof value !== 'object' || value === null || Array.isArray(value)) {",
    replace: "if (typeof value !== 'object' || value === null) {",
    specs: ['spec/callbacks.test.ts'],
    name: 'malformed',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'a JSON array is taken for a message',
  },
  {
    id: 'codec-always-latin1',
    file: 'lib/protocol/codec.ts',
    search: "isAscii(line) ? line.toString('latin1') : line.toString('utf8')",
    replace: "line.toString('latin1')",
    specs: ['spec/callbacks.test.ts'],
    name: 'payload shape',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'the latin1 fast path is used for non-ASCII lines too',
  },
  {
    id: 'channel-large-non-ascii-as-latin1',
    file: 'lib/protocol/channel.ts',
    search: "this.#send(NON_ASCII.test(line) ? line : Buffer.from(line, 'latin1'), done);",
    replace: "this.#send(Buffer.from(line, 'latin1'), done);",
    specs: ['spec/finish.test.ts'],
    name: '50 MB',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'a large non-ASCII line is encoded as latin1',
  },
  {
    id: 'channel-no-flush-on-exit',
    file: 'lib/protocol/channel.ts',
    search: '  for (const channel of holding) channel.flushHeld();\n',
    replace: '',
    specs: ['spec/callbacks.test.ts', 'spec/finish.test.ts'],
    name: 'process.exit|falsy',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'lines held back in the tick of a process.exit() are lost',
  },
  {
    id: 'channel-large-line-overtakes',
    file: 'lib/protocol/channel.ts',
    search: '      this.flushHeld(); // keep the order\n',
    replace: '',
    specs: ['spec/callbacks.test.ts', 'spec/finish.test.ts'],
    name: 'order|50 MB',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'a large line sent after small ones in the same tick arrives before them',
  },
  {
    id: 'splitter-limit-off-by-one',
    file: 'lib/protocol/line-splitter.ts',
    search: 'if (this.#pendingBytes > this.maxLineBytes) {',
    replace: 'if (this.#pendingBytes >= this.maxLineBytes) {',
    specs: ['spec/unit/protocol/line-splitter.test.ts'],
    why: 'a line of exactly maxMessageBytes is refused',
  },
  // ---- CLI ----
  {
    id: 'cli-drops-last-line-without-newline',
    file: 'lib/cli/job-reader.ts',
    search: "      if (splitter.pendingBytes > 0) splitter.push(Buffer.from('\\n')); // a last line without its newline\n",
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'standard input',
    unit: ['spec/unit/cli/job-reader.test.ts'],
    why: 'the last job is lost when the file does not end with a newline',
  },
  {
    id: 'cli-retries-off-by-one',
    file: 'lib/cli/scheduler.ts',
    search: 'if (job.attempt <= this.retries && !this.#stopped) {',
    replace: 'if (job.attempt < this.retries && !this.#stopped) {',
    specs: ['spec/cli.test.ts'],
    name: 'retries',
    unit: ['spec/unit/cli/scheduler.test.ts'],
    why: '--retries N runs a job N times, not N+1',
  },
  {
    id: 'cli-handler-log-into-results',
    file: 'lib/cli/job-loop.ts',
    search: '  process.stdout.write = process.stderr.write.bind(process.stderr);\n',
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'malformed lines',
    why: "a handler's console.log goes into the results",
  },
  {
    id: 'cli-no-read-ahead-limit',
    file: 'lib/cli/coordinator.ts',
    search: '    if (this.#scheduler!.queued >= READ_AHEAD) this.#reader!.pause();\n',
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'ahead|10,000',
    why: 'the whole job file is read into memory ahead of the workers',
  },
  {
    id: 'cli-second-sigint-kills-nothing',
    file: 'lib/cli/coordinator.ts',
    search: "    process.once('SIGINT', () => this.#killRunning('INT'));\n",
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'second SIGINT',
    why: 'a second Ctrl-C does not kill the running jobs',
  },
  {
    id: 'cli-stop-signal-exit-1',
    file: 'lib/cli/coordinator.ts',
    search: '    if (this.#stopSignal) return exitStatus(null, nodeSignal(this.#stopSignal));',
    replace: '    if (this.#stopSignal) return EXIT_SOME_FAILED;',
    specs: ['spec/cli.test.ts'],
    name: 'SIGTERM to the manager',
    why: 'an interrupted run exits 1 instead of 128 + signal',
  },
  {
    id: 'cli-results-never-reordered',
    file: 'lib/cli/result-writer.ts',
    search: '    if (!this.ordered) return void this.#out.write(record);',
    replace: '    return void this.#out.write(record);',
    specs: ['spec/cli.test.ts'],
    name: 'malformed lines|10,000',
    unit: ['spec/unit/cli/result-writer.test.ts'],
    why: 'results come out as jobs complete even without --unordered',
  },
  {
    id: 'cli-max-jobs-ignored',
    file: 'lib/cli/job-loop.ts',
    search: 'more: maxJobs === 0 || jobsDone < maxJobs };',
    replace: 'more: true };',
    specs: ['spec/cli.test.ts'],
    name: 'max-jobs-per-worker',
    why: '--max-jobs-per-worker never replaces a worker',
  },
  // ---- options and signals ----
  {
    id: 'signal-names-case-sensitive',
    file: 'lib/signals.ts',
    search: "name.toUpperCase().replace(/^SIG/, '')",
    replace: "name.replace(/^SIG/, '')",
    specs: ['spec/signals.test.ts'],
    name: 'prefix',
    unit: ['spec/unit/signals.test.ts'],
    why: "'term' and 'hup' are not signals",
  },
  {
    id: 'default-errRespawnInterval-0',
    file: 'lib/options.ts',
    search: "errRespawnInterval: duration(options, 'errRespawnInterval', 1000)!,",
    replace: "errRespawnInterval: duration(options, 'errRespawnInterval', 0)!,",
    specs: ['spec/unit/options.test.ts'],
    why: 'the documented default of 1000 ms is gone: a crash loop spins',
  },
  {
    id: 'default-gracePeriod-none',
    file: 'lib/options.ts',
    search: "limit(options, 'gracePeriod', 30_000)",
    replace: "limit(options, 'gracePeriod', undefined)",
    specs: ['spec/unit/options.test.ts'],
    why: 'the documented default gracePeriod of 30 s is gone: a child ignoring TERM is never killed',
  },
  // ---- the queue (issue 21; issue 23 item 7) ----
  {
    id: 'queue-late-completion-stored',
    file: 'lib/queue/sql.ts',
    search: '    WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = \'active\'\n    RETURNING j.id`;',
    replace: '    WHERE j.name = $1 AND j.id = v.id AND j.state = \'active\'\n    RETURNING j.id`;',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'has left that run',
    why: "a run's late completion completes the job another host runs now",
  },
  {
    id: 'queue-end-leaves-out-own-jobs',
    file: 'lib/queue/pg-boss-source.ts',
    search: '    if (remaining > 0) return this.#poll(this.options.pollMs);',
    replace: '    if (remaining > this.#held.size) return this.#poll(this.options.pollMs);',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'waits for its retry',
    why: 'a lone manager ends while its own failed job waits for its retry',
  },
  {
    id: 'queue-no-heartbeat',
    file: 'lib/queue/heartbeat.ts',
    search: '    this.#running = this.beat().finally(() => {',
    replace: '    this.#running = Promise.resolve().finally(() => {',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'heartbeat 1',
    unit: ['spec/unit/queue/heartbeat.test.ts'],
    why: "the heartbeat never beats: a dead host's jobs wait for the whole lease",
  },
  {
    id: 'queue-url-to-workers',
    file: 'lib/cli/main.ts',
    search: '  if (options.queue) preforkOptions.exec = { args: workerArgs(argv) };\n',
    replace: '',
    specs: ['spec/queue-connecting.test.ts'],
    name: 'workers get it',
    why: "the database URL is on every worker's command line",
  },
];

function parseArgs(argv) {
  const args = { only: undefined, full: false, baseline: false, keep: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') args.only = new Set(argv[++i].split(','));
    else if (arg === '--full') args.full = true;
    else if (arg === '--baseline') args.baseline = true;
    else if (arg === '--keep') args.keep = true;
    else if (arg === '--list') args.list = true;
    else throw new Error(`unknown argument ${arg}; see the comment at the top of scripts/mutate.js`);
  }
  return args;
}

/** Copies the working tree (tracked + untracked, not ignored) to a scratch directory. */
function scratchCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppi-mutate-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function build(dir) {
  const tsc = spawnSync(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) return tsc.stdout + tsc.stderr;
  const esm = spawnSync(process.execPath, ['scripts/esm-wrapper.js'], { cwd: dir, encoding: 'utf8' });
  return esm.status === 0 ? undefined : esm.stdout + esm.stderr;
}

/** Runs jest on `specs` (all of spec/ when empty); returns { failed: [test names], ms, timedOut }. */
function jest(dir, specs, name) {
  const report = path.join(dir, `.jest-report-${process.pid}.json`);
  fs.rmSync(report, { force: true });
  const args = [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', `--outputFile=${report}`, `--testTimeout=${TEST_TIMEOUT_MS}`, '--runInBand'];
  if (name) args.push('-t', name);
  args.push(...specs.map((spec) => path.join(dir, spec)));
  const began = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  const ms = Date.now() - began;
  if (result.error && result.error.code === 'ETIMEDOUT') return { failed: [`(the run hung past ${RUN_LIMIT_MS / 1000} s)`], ms, timedOut: true };
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    return { failed: [`(jest gave no report, exit ${result.status}): ${(result.stderr || '').slice(-500)}`], ms };
  }
  const failed = [];
  let passed = 0;
  for (const file of parsed.testResults) {
    const short = path.relative(dir, file.name);
    if (file.status === 'failed' && file.assertionResults.every((t) => t.status !== 'failed')) {
      failed.push(`${short}: ${(file.message || 'failed to run').split('\n').find(Boolean)}`);
    }
    for (const t of file.assertionResults) {
      if (t.status === 'failed') {
        failed.push(`${short}: ${t.fullName}`);
        const first = (t.failureMessages[0] || '').split('\n').find((l) => l.trim() !== '') || '';
        console.error(`    ✕ ${t.fullName}\n      ${first.trim().slice(0, 300)}`);
      }
      if (t.status === 'passed') passed++;
    }
  }
  if (failed.length === 0 && passed === 0) failed.push('(no test ran: check the specs and -t pattern)');
  return { failed, ms, passed, noTests: passed === 0 && failed.length === 1 && failed[0].startsWith('(no test ran') };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const chosen = MUTATIONS.filter((m) => !args.only || args.only.has(m.id));
  if (args.only && chosen.length !== args.only.size) throw new Error(`unknown id in --only; known: ${MUTATIONS.map((m) => m.id).join(', ')}`);
  if (args.list) {
    for (const m of chosen) {
      const count = fs.readFileSync(path.join(ROOT, m.file), 'utf8').split(m.search).length - 1;
      const spot = count === 1 ? '' : `  ** search text found ${count} times **`;
      console.log(`${m.id}  ${m.file}  [${m.specs.join(' ')}${m.name ? ` -t "${m.name}"` : ''}]  ${m.why}${spot}`);
    }
    return;
  }
  const began = Date.now();
  const dir = scratchCopy();
  console.error(`scratch copy: ${dir}`);
  const pristine = new Map();
  for (const m of chosen) if (!pristine.has(m.file)) pristine.set(m.file, fs.readFileSync(path.join(dir, m.file), 'utf8'));
  // Every search text must be found exactly once before anything runs.
  const problems = [];
  for (const m of chosen) {
    const count = pristine.get(m.file).split(m.search).length - 1;
    if (count !== 1) problems.push(`${m.id}: search text found ${count} times in ${m.file}`);
  }
  if (problems.length) throw new Error(`mutations out of date with lib/:\n  ${problems.join('\n  ')}`);

  const buildError = build(dir);
  if (buildError) throw new Error(`the unmutated copy does not build:\n${buildError}`);
  if (args.baseline) {
    const subsets = new Map();
    for (const m of chosen) {
      const key = args.full ? 'all' : JSON.stringify([m.specs, m.name]);
      subsets.set(key, args.full ? [[], undefined] : [m.specs, m.name]);
      if (!args.full && m.unit) subsets.set(JSON.stringify([m.unit]), [m.unit, undefined]);
    }
    for (const [key, [specs, name]] of subsets) {
      const base = jest(dir, specs, name);
      console.error(`baseline ${key}: ${base.failed.length === 0 ? 'passes' : `FAILS: ${base.failed.join('; ')}`} (${Math.round(base.ms / 1000)} s)`);
    }
  }

  const rows = [];
  for (const m of chosen) {
    for (const [file, text] of pristine) fs.writeFileSync(path.join(dir, file), text);
    fs.writeFileSync(path.join(dir, m.file), pristine.get(m.file).replace(m.search, () => m.replace));
    const error = build(dir);
    let row;
    if (error) {
      row = { m, result: 'build failed', by: error.split('\n').find(Boolean), ms: 0 };
    } else {
      const run = jest(dir, args.full ? [] : m.specs, args.full ? undefined : m.name);
      if (!args.full && m.unit) {
        const unit = jest(dir, m.unit, undefined);
        const real = (r) => (r.noTests ? [] : r.failed);
        Object.assign(run, {
          failed: [...real(unit), ...real(run)],
          ms: run.ms + unit.ms,
          timedOut: run.timedOut || unit.timedOut,
          noTests: run.noTests || unit.noTests, // a subset that runs nothing is a mistake in this list
        });
      }
      const result = run.noTests ? 'NO TESTS RAN' : run.failed.length ? (run.timedOut ? 'killed (hang)' : 'killed') : 'SURVIVED';
      row = { m, result, by: run.failed.length ? run.failed.slice(0, 3).join('; ') + (run.failed.length > 3 ? `; +${run.failed.length - 3} more` : '') : '', ms: run.ms };
    }
    rows.push(row);
    console.error(`${row.result.padEnd(14)} ${m.id} (${Math.round(row.ms / 1000)} s)${row.by ? `: ${row.by}` : ''}`);
  }
  for (const [file, text] of pristine) fs.writeFileSync(path.join(dir, file), text);
  if (args.keep) console.error(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });

  const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  console.log('| mutation | file | what it breaks | result | caught by | s |');
  console.log('|---|---|---|---|---|---|');
  for (const { m, result, by, ms } of rows) {
    console.log(`| ${m.id} | ${m.file} | ${cell(m.why)} | ${result} | ${cell(by)} | ${Math.round(ms / 1000)} |`);
  }
  const killed = rows.filter((r) => r.result.startsWith('killed')).length;
  console.log(`\n${killed} of ${rows.length} killed; ${rows.filter((r) => r.result === 'SURVIVED').length} survived; ` +
    `${Math.round((Date.now() - began) / 1000)} s in all.`);
  process.exitCode = rows.every((r) => r.result.startsWith('killed')) ? 0 : 1;
}

main();
