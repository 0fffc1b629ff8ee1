import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { captureStack, stackText, toFrames } from '../../../lib/manager/stack-capture';

test('toFrames: 1-based lines and columns, the URL from scriptParsed when the frame has none', () => {
  const frames = toFrames(
    [
      { functionName: 'spin', url: '/app/work.js', location: { scriptId: '1', lineNumber: 9, columnNumber: 2 } },
      { functionName: '', url: '', location: { scriptId: '7', lineNumber: 0, columnNumber: 0 } },
    ],
    new Map([['7', 'file:///app/main.mjs']]),
  );
  expect(frames).toEqual([
    { function: 'spin', file: '/app/work.js', line: 10, column: 3 },
    { function: '', file: 'file:///app/main.mjs', line: 1, column: 1 },
  ]);
  expect(stackText(frames)).toBe('Hung child stack\n    at spin (/app/work.js:10:3)\n    at file:///app/main.mjs:1:1');
});

test('toFrames keeps the innermost 50 frames', () => {
  const many = Array.from({ length: 500 }, (_, i) => ({ functionName: `f${i}`, url: 'a.js', location: { lineNumber: i, columnNumber: 0 } }));
  const frames = toFrames(many, new Map());
  expect(frames).toHaveLength(50);
  expect(frames[0].function).toBe('f0');
});

test('a port another process holds: no signal is sent, and the note says so', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  const sent: string[] = [];
  const onUsr1 = (): number => sent.push('USR1');
  process.on('SIGUSR1', onUsr1);
  try {
    const stack = await captureStack(process.pid, port, 5000);
    expect(stack.frames).toEqual([]);
    expect(stack.note).toMatch(`inspector port ${port} was taken by another process`);
    expect(sent).toEqual([]);
  } finally {
    process.off('SIGUSR1', onUsr1);
    holder.close();
  }
});

test('a process that is gone: the note names the failed signal', async () => {
  // Above Linux's largest pid_max (2^22), so no process can have it.
  const stack = await captureStack(0x7ffffff0, 1, 5000);
  expect(stack.frames).toEqual([]);
  expect(stack.note).toMatch(/SIGUSR1 could not be sent \(ESRCH\)|port 1 was taken/);
});
