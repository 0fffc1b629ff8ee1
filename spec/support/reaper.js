// Kills process groups on behalf of a test process that can no longer do it itself.
// spec/support/run.ts starts one per test process, detached (so a Ctrl-C to the
// terminal's process group does not end it first), and writes `+PGID` for every
// group it starts and `-PGID` once it has killed that group itself. When the test
// process goes away by any means (killed, crashed, Ctrl-C), this pipe reaches EOF
// and every group still listed gets SIGKILL: no fixture outlives the test run.
const groups = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isSafeInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    else groups.delete(pgid);
  }
});
const killAll = () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* the group is already empty */
    }
  }
  process.exit(0);
};
process.stdin.on('end', killAll);
process.stdin.on('error', killAll);
// Detached, but a signal aimed at this process alone still should not leave the groups behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, killAll);
