import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { acceptFor, decodeFrames, encodeClientFrame, InspectorSession, listTargets } from '../../../lib/manager/inspector-client';

/** A server frame (unmasked), as the inspector sends them. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, length]) : Buffer.alloc(4);
  if (length >= 126) {
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * A fake inspector: answers the upgrade like Node's, then hands the test each
 * decoded client frame and a way to write raw bytes back.
 */
async function fakeInspector(
  onFrame: (frame: { opcode: number; payload: Buffer }, write: (bytes: Buffer) => void, socket: net.Socket) => void,
  answer?: (key: string) => string,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(buffer.subarray(0, end).toString())![1];
        socket.write(
          answer?.(key) ??
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
        );
        upgraded = true;
        buffer = buffer.subarray(end + 4);
      }
      const { frames, rest } = decodeFrames(buffer);
      buffer = Buffer.from(rest);
      for (const frame of frames) onFrame(frame, (bytes) => socket.write(bytes), socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

test('acceptFor gives the answer of RFC 6455 §1.3 for its sample key', () => {
  expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test.each([0, 5, 125, 126, 65535, 65536])('a client frame of %i bytes is masked and decodes back', (size) => {
  const payload = Buffer.alloc(size, 'x');
  const mask = Buffer.from([1, 2, 3, 4]);
  const frame = encodeClientFrame(1, payload, mask);
  expect(frame[0]).toBe(0x81);
  expect(frame[1] & 0x80).toBe(0x80); // the mask bit
  if (size > 0) expect(frame.subarray(frame.length - size).equals(payload)).toBe(false); // masked on the wire
  const { frames, rest } = decodeFrames(frame);
  expect(rest.length).toBe(0);
  expect(frames).toHaveLength(1);
  expect(frames[0].opcode).toBe(1);
  expect(frames[0].payload.equals(payload)).toBe(true);
});

test('decodeFrames keeps an incomplete frame for later, and reads several in one buffer', () => {
  const a = serverFrame(1, Buffer.from('{"id":1}'));
  const b = serverFrame(1, Buffer.alloc(300, 'y'));
  const both = Buffer.concat([a, b]);
  const partial = decodeFrames(both.subarray(0, a.length + 3));
  expect(partial.frames.map((frame) => frame.payload.toString())).toEqual(['{"id":1}']);
  expect(partial.rest.length).toBe(3);
  expect(decodeFrames(both).frames).toHaveLength(2);
});

test('decodeFrames refuses a frame that claims more than 64 MiB', () => {
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(2) ** BigInt(40), 2);
  expect(() => decodeFrames(header)).toThrow(/over the .* accepted/);
});

test('a session calls a method, gets its result, and sees events, from fragmented frames and through a ping', async () => {
  let gotPong: (payload: string) => void = () => {};
  const pong = new Promise<string>((resolve) => (gotPong = resolve));
  const inspector = await fakeInspector((frame, write) => {
    if (frame.opcode === 0xa) return gotPong(frame.payload.toString());
    if (frame.opcode !== 1) return;
    const call = JSON.parse(frame.payload.toString()) as { id: number; method: string };
    write(serverFrame(0x9, Buffer.from('hi')));
    const event = Buffer.from(JSON.stringify({ method: 'Debugger.paused', params: { callFrames: [] } }));
    // The event in two fragments, then the answer in one frame.
    write(Buffer.concat([serverFrame(1, event.subarray(0, 10), false), serverFrame(0, event.subarray(10))]));
    write(serverFrame(1, Buffer.from(JSON.stringify({ id: call.id, result: { method: call.method } }))));
  });
  try {
    const session = await InspectorSession.connect(`ws://127.0.0.1:${inspector.port}/abc`, 5000);
    const events: unknown[] = [];
    session.on('Debugger.paused', (params) => events.push(params));
    await expect(session.call('Debugger.enable')).resolves.toEqual({ method: 'Debugger.enable' });
    expect(events).toEqual([{ callFrames: [] }]);
    await expect(pong).resolves.toBe('hi'); // the ping's payload, echoed
    session.close();
    await expect(session.call('Debugger.pause')).rejects.toThrow(/closed/);
  } finally {
    await inspector.close();
  }
});

test('an error answer rejects the call with its message; a closed connection rejects what is pending', async () => {
  const inspector = await fakeInspector((frame, write, socket) => {
    const call = JSON.parse(frame.payload.toString()) as { id: number; method: string };
    if (call.method === 'Bad.method') write(serverFrame(1, Buffer.from(JSON.stringify({ id: call.id, error: { message: 'no such method' } }))));
    else socket.destroy();
  });
  try {
    const session = await InspectorSession.connect(`ws://127.0.0.1:${inspector.port}/x`, 5000);
    await expect(session.call('Bad.method')).rejects.toThrow('no such method');
    await expect(session.call('Debugger.pause')).rejects.toThrow(/closed the connection/);
  } finally {
    await inspector.close();
  }
});

test('connect refuses anything but ws:// on loopback, and a wrong or missing upgrade', async () => {
  await expect(InspectorSession.connect('ws://example.com:9229/x', 100)).rejects.toThrow(/only ws:\/\/ on loopback/);
  await expect(InspectorSession.connect('wss://127.0.0.1:9229/x', 100)).rejects.toThrow(/only ws:\/\/ on loopback/);
  await expect(InspectorSession.connect('not a url', 100)).rejects.toThrow(/not a WebSocket URL/);
  const wrongAccept = await fakeInspector(() => {}, () => 'HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n');
  const notUpgraded = await fakeInspector(() => {}, () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  try {
    await expect(InspectorSession.connect(`ws://127.0.0.1:${wrongAccept.port}/x`, 5000)).rejects.toThrow(/wrong Sec-WebSocket-Accept/);
    await expect(InspectorSession.connect(`ws://127.0.0.1:${notUpgraded.port}/x`, 5000)).rejects.toThrow(/answered HTTP\/1.1 404/);
  } finally {
    await wrongAccept.close();
    await notUpgraded.close();
  }
});

test('listTargets reads /json/list, and says what is wrong with a bad answer', async () => {
  let body = '[{"webSocketDebuggerUrl":"ws://127.0.0.1:1/a"}]';
  let status = 200;
  const server = http.createServer((request, response) => {
    response.statusCode = request.url === '/json/list' ? status : 404;
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await expect(listTargets(port, 5000)).resolves.toEqual([{ webSocketDebuggerUrl: 'ws://127.0.0.1:1/a' }]);
    body = '{}';
    await expect(listTargets(port, 5000)).rejects.toThrow(/did not answer a JSON list/);
    status = 500;
    await expect(listTargets(port, 5000)).rejects.toThrow(/HTTP 500/);
  } finally {
    server.close();
  }
  await expect(listTargets(port, 5000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});
