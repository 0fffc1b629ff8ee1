import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, ROOT } from './support/run';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test("the README's first two commands are the demo and the test suite", () => {
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)![1];
  const commands = firstBlock.split('\n').filter(Boolean).map((line) => line.replace(/\s+#.*$/, ''));
  expect(commands).toEqual(['npm install && npm run demo', 'npm test']);
});

test("the README's example runs as printed and does what it says", async () => {
  const source = /```ts\n([\s\S]*?)```/.exec(README)![1];
  expect(source.split('\n').length).toBeLessThanOrEqual(30);
  const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-readme-'));
  const file = path.join(dir, 'example.ts');
  // The one change: the package name points at this checkout's build.
  writeFileSync(file, source.replace("from 'parallel-prefork-ipc'", `from ${JSON.stringify(ROOT)}`));
  const finished = await run(['--require', 'tsx/cjs', file], { command: process.execPath });
  expect(finished.code).toBe(0);
  const exits = finished.stdout.split('\n').filter((l) => / exited 0 /.test(l));
  expect(exits).toHaveLength(3);
  for (const name of ['alice', 'bob', 'carol']) expect(finished.stdout).toMatch(new RegExp(`username: '${name}', length: ${name.length}`));
});

describe('docs/api.md names every public name', () => {
  const api = readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const source = (file: string): string => readFileSync(path.join(ROOT, 'lib', file), 'utf8');

  test('every export of the package', () => {
    const names = [...source('index.ts').matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean));
    expect(names).toContain('PreforkIPC');
    for (const name of names) expect(api).toContain(`\`${name}\``);
  });

  test('every option of PreforkOptions', () => {
    const block = /export interface PreforkOptions[^{]*\{([\s\S]*?)\n\}/.exec(source('options.ts'))![1];
    const options = [...block.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
    expect(options).toContain('maxWorkers');
    for (const option of options) expect(api).toContain(`\`${option}\``);
  });

  test('every public member of PreforkIPC', () => {
    const body = /export class PreforkIPC[\s\S]*?\n\}/.exec(source('prefork-ipc.ts'))![0];
    const members = [...body.matchAll(/^ {2}(?:get |set )?([a-zA-Z]\w*)[<(]/gm)].map((m) => m[1]).filter((m) => m !== 'constructor');
    expect(members).toEqual(expect.arrayContaining(['start', 'callback', 'finish', 'signalReceived']));
    // The name itself in code: `member`, `member(…)`, `ppi.member…`. A prefix is not enough:
    // `on` would be found in `onChildReap` and `lifetime` in `lifetimeTimeout`.
    const undocumented = members.filter((member) => !new RegExp(`\`(?:ppi\\.)?${member}(?:\`|\\(|<|\\s|=)`).test(api));
    expect(undocumented).toEqual([]);
  });

  test('every option of the prefork-ipc command', () => {
    const usage = source(path.join('cli', 'args.ts'));
    const flags = [...new Set([...usage.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]))];
    expect(flags).toContain('--max-jobs-per-worker');
    for (const flag of flags) expect(api).toContain(flag);
  });
});
