import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { passwordOnCommandLine, queueNameProblem, redact, redactUrl, resolveUrl, schemaProblem, serverOf, urlProblem } from '../../../lib/queue/flags';

const URL = 'postgres://app:p%40ss@db.example:6543/jobs';

describe('queue/flags', () => {
  test('redactUrl hides the password, also in URLs that do not parse; redact removes it from any text, raw or decoded', () => {
    expect(redactUrl(URL)).toBe('postgres://app:***@db.example:6543/jobs');
    expect(redactUrl('mysql://u:secret@h:99999/x')).toBe('mysql://u:***@h:99999/x');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactUrl('postgres://u:p#w/x?y@h/db')).toBe('postgres://u:***@h/db'); // unencoded # / ?: the URL that fails to parse
    expect(redact('failed for p%40ss and p@ss', URL)).toBe('failed for *** and ***');
    expect(redact('nothing secret', 'postgres://h/db')).toBe('nothing secret');
  });

  test('urlProblem names the wrong part; serverOf gives host:port', () => {
    expect(urlProblem(URL)).toBeUndefined();
    expect(urlProblem('postgres:///db')).toBeUndefined(); // libpq defaults: local socket
    expect(urlProblem('http://u:secret@h/db')).toBe('the database URL must start with postgres:// or postgresql://, got "http://u:***@h/db"');
    expect(urlProblem('postgres://u:secret@h:70000/db')).toMatch(/port must be a number from 1 to 65535, got "70000"/);
    expect(urlProblem('postgres://u:secret@h:5x/db')).toMatch(/port must be a number from 1 to 65535, got "5x"/);
    expect(urlProblem('postgres://u:se cret@ho st/db')).toMatch(/is not a valid URL/);
    expect(urlProblem('postgres://u:pw@[::1]:5432/db')).toBeUndefined();
    expect(urlProblem('postgres://u:a:b@h/db')).toBeUndefined(); // a colon in the password is not a port
    for (const bad of ['http://u:secret@h/db', 'postgres://u:secret@h:70000/db', 'postgres://u:se cret@ho st/db', 'postgres://u:sec#ret@h/db']) expect(urlProblem(bad)).not.toContain('secret');
    expect(serverOf(URL)).toBe('db.example:6543');
    expect(serverOf('postgres://u@h/db')).toBe('h:5432');
  });

  test('resolveUrl: the flag, else the file, else PGBOSS_URL, else DATABASE_URL; errors name the source', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
    const file = path.join(dir, 'url');
    writeFileSync(file, `\n  ${URL}  \nignored\n`);
    const env = { PGBOSS_URL: 'postgres://a/1', DATABASE_URL: 'postgres://b/2' };
    expect(resolveUrl({ url: 'postgres://c/3' }, env)).toEqual({ url: 'postgres://c/3', from: '--pg-boss' });
    expect(resolveUrl({ file }, env).url).toBe(URL);
    expect(resolveUrl({}, env)).toEqual({ url: 'postgres://a/1', from: '$PGBOSS_URL' });
    expect(resolveUrl({}, { DATABASE_URL: 'postgres://b/2' })).toEqual({ url: 'postgres://b/2', from: '$DATABASE_URL' });
    expect(() => resolveUrl({}, {})).toThrow(/no database URL: set PGBOSS_URL/);
    expect(() => resolveUrl({ file: path.join(dir, 'missing') }, {})).toThrow(/cannot read --pg-boss-file/);
    writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => resolveUrl({ file: path.join(dir, 'empty') }, {})).toThrow(/is empty/);
    expect(() => resolveUrl({}, { PGBOSS_URL: 'mysql://u:pw@h/x' })).toThrow('$PGBOSS_URL: the database URL must start with postgres://');
    expect(() => resolveUrl({ url: URL, file }, {})).toThrow(/contradict/);
  });

  test('queue names and schemas: what pg-boss can store, said up front', () => {
    for (const ok of ['q', 'resize-images', 'team.jobs', 'a/b:c', '_x', '9lives']) expect(queueNameProblem(ok)).toBeUndefined();
    for (const bad of ['', 'a\\b', '***', '-x', 'has space', 'x'.repeat(201), 'é']) expect(queueNameProblem(bad)).toMatch(/--queue must be 1 to 200 letters/);
    expect(schemaProblem('pgboss')).toBeUndefined();
    expect(schemaProblem('1x')).toMatch(/--schema must be a Postgres name/);
    expect(schemaProblem('x;drop')).toMatch(/--schema must be a Postgres name/);
  });

  test('a password on the command line is warned about; a URL without one is not', () => {
    expect(passwordOnCommandLine({ url: URL })).toMatch(/visible to every user of this machine \(ps\)/);
    expect(passwordOnCommandLine({ url: 'postgres://app@h/db' })).toBeUndefined();
    expect(passwordOnCommandLine({})).toBeUndefined();
  });
});
