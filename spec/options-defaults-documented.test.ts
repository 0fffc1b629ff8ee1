/** docs/api.md's default column says what `DEFAULTS` (lib/options.ts) holds, for every option it lists. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { DEFAULTS } from '../lib/options';

const api = readFileSync(path.join(__dirname, '..', 'docs', 'api.md'), 'utf8');
const defaults = DEFAULTS as Record<string, unknown>;

/** The options table (the first table under "### Options"): option name → its default cell. */
function documentedDefaults(): Map<string, string> {
  const section = api.indexOf('### Options');
  expect(section).toBeGreaterThan(-1);
  const lines = api.slice(section).split('\n');
  const header = lines.findIndex((line) => line.startsWith('|'));
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    // Cells split on '|' not escaped as '\|' (the type column has unions).
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const name = /^`(\w+)`$/.exec(cells[1])?.[1];
    if (name) rows.set(name, cells[3]);
  }
  return rows;
}

const NOT_A_VALUE = Symbol('not a value');

/** The JavaScript value a default cell begins with (`10`, `'kernel'`, `{ TERM: 'TERM' }`), or NOT_A_VALUE ("—", "none", prose, another option's name). */
function valueOf(cell: string): unknown {
  const code = /^`([^`]+)`/.exec(cell)?.[1];
  if (code === undefined) return NOT_A_VALUE;
  try {
    // The cell is this repository's own documentation: a JavaScript literal, evaluated with no globals.
    return runInNewContext(`(${code})`, Object.create(null) as object) as unknown;
  } catch {
    return NOT_A_VALUE; // `minSpareWorkers`: a default worked out from another option
  }
}

test('each default docs/api.md states as a value is the one in DEFAULTS', () => {
  const checked: string[] = [];
  for (const [name, cell] of documentedDefaults()) {
    const documented = valueOf(cell);
    if (documented === NOT_A_VALUE) continue;
    if (!(name in defaults)) {
      // A default worked out from other options (`gatedReload`: "`true` with `listen`, else `false`"): the cell says on what.
      expect([name, /^`[^`]+`\s*\S/.test(cell)]).toEqual([name, true]);
      continue;
    }
    expect([name, defaults[name]]).toEqual([name, documented]);
    checked.push(name);
  }
  // Most options have a literal default: a parsing slip that checked none must not pass.
  expect(checked.length).toBeGreaterThanOrEqual(15);
});

test('no option with an entry in DEFAULTS is documented as having none', () => {
  const rows = documentedDefaults();
  const listed = Object.keys(DEFAULTS).filter((name) => rows.has(name));
  expect(listed.length).toBeGreaterThanOrEqual(15);
  for (const name of listed) expect([name, valueOf(rows.get(name)!)]).toEqual([name, defaults[name]]);
});
