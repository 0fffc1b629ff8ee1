import { serverStarterSpecs, systemdSpecs } from '../../../lib/manager/listeners';

test("SERVER_STARTER_PORT: every 'address=fd' pair, TCP and Unix, with or without a host", () => {
  expect(serverStarterSpecs({ SERVER_STARTER_PORT: '127.0.0.1:8080=3;8081=4;/tmp/app.sock=5' })).toEqual([{ fd: 3 }, { fd: 4 }, { fd: 5 }]);
  expect(() => serverStarterSpecs({})).toThrow(/SERVER_STARTER_PORT is not set/);
  expect(() => serverStarterSpecs({ SERVER_STARTER_PORT: '8080' })).toThrow(/cannot read "8080" in SERVER_STARTER_PORT/);
});

test('LISTEN_FDS counts from fd 3, and only when LISTEN_PID is this process', () => {
  expect(systemdSpecs({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42)).toEqual([{ fd: 3 }, { fd: 4 }]);
  expect(() => systemdSpecs({ LISTEN_FDS: '2', LISTEN_PID: '41' }, 42)).toThrow(/do not name sockets for this process/);
  expect(() => systemdSpecs({}, 42)).toThrow(/LISTEN_PID=unset/);
});
