import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlServer } from '../../../../lib/manager/control/server';
import type { ControlContext } from '../../../../lib/manager/control/commands';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-control-'));

const context = {
  pool: { generation: 1, maxWorkers: 2, running: true, listeners: [], children: new Map() },
  status: () => ({ pid: 1, children: [] }),
  metrics: () => Promise.resolve(''),
  watch: () => () => {},
  reloadable: false,
  config: () => ({}),
} as unknown as ControlContext;

function lines(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
}

test('a client that says nothing is told so and closed after the idle time; one with a request in progress is not', async () => {
  const file = path.join(dir, 'idle.sock');
  const server = await ControlServer.open(file, context, { idleMs: 200 });
  const silent = net.connect(file);
  const said = await lines(silent);
  expect(JSON.parse(said.trim())).toEqual({ ok: false, error: 'no request within 0.2 s; closing' });
  // Half-closing after a request still gets the reply, then the end.
  const polite = net.connect(file);
  const reply = lines(polite);
  polite.end('{"command":"listeners"}\n');
  expect(JSON.parse((await reply).trim())).toEqual({ ok: true, result: [] });
  await server.close();
});

test('reload is refused when HUP is not trapped; an unknown command names the known ones', async () => {
  const file = path.join(dir, 'refuse.sock');
  const server = await ControlServer.open(file, context);
  const client = net.connect(file);
  const text = lines(client);
  client.end('{"command":"reload","id":0}\n{"command":"nope","id":[1]}\n');
  // Replies go as each command completes, each with its request's id.
  const replies = (await text).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(replies).toHaveLength(2);
  const first = replies.find((r) => r.id === 0);
  const second = replies.find((r) => Array.isArray(r.id));
  expect(first).toEqual({ id: 0, ok: false, error: 'reload: this manager does not trap HUP (trapSignals), so it has no reload to run' });
  expect(second).toMatchObject({ id: [1], ok: false, error: expect.stringContaining('unknown command "nope" (commands: status, metrics,') as unknown });
  await server.close();
});
