/**
 * The one home of the rules for the queue's flags, shared by the manager's
 * command line (`cli/args.ts`) and `enqueue` / `results` (`queue/commands.ts`):
 * where the database URL comes from, what a URL, a queue name and a schema
 * may be, and how a URL is shown (never with its password). Each check
 * returns the problem in words, or undefined; the callers turn it into their
 * usage error. Imports nothing, so `cli/args.ts` can use it without loading
 * pg-boss.
 */
import { readFileSync } from 'node:fs';

/** The environment variables the URL is read from when no flag names it, in this order. */
export const URL_VARIABLES = ['PGBOSS_URL', 'DATABASE_URL'] as const;

/** Where the URL was given: `--pg-boss URL`, `--pg-boss-file FILE`, or neither (the environment). */
export interface UrlFlags {
  url?: string;
  file?: string;
}

/**
 * The password is whatever lies between `scheme://user:` and the URL's last
 * `@`: greedy, so that a password holding `#`, `/` or `?` (not encoded, which
 * is exactly the URL that fails to parse and gets quoted in an error) is
 * still hidden whole.
 */
const PASSWORD = /^([a-z][\w+.-]*:\/\/[^:@/]*:)(.*)@/is;

/** A URL with its password replaced by `***`, for every message and log line. Works on URLs that do not parse. */
export function redactUrl(url: string): string {
  return url.replace(PASSWORD, '$1***@');
}

/** The password of a URL, or undefined: to remove it from any text (an error from a library) before it is shown. */
export function urlPassword(url: string): string | undefined {
  const match = PASSWORD.exec(url);
  if (!match || match[2] === '') return undefined;
  return match[2];
}

/** Replaces the URL's password (raw and percent-decoded) in `text` with `***`. */
export function redact(text: string, url: string | undefined): string {
  const password = url === undefined ? undefined : urlPassword(url);
  if (password === undefined) return text;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    /* not percent-encoded */
  }
  let out = text;
  for (const secret of new Set([password, decoded])) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/** `host:port` of a postgres:// URL (port 5432 when absent), for error messages. */
export function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'the server';
  }
}

/** What is wrong with a database URL, naming the part, or undefined. The message never holds the password. */
export function urlProblem(url: string): string | undefined {
  const shown = JSON.stringify(redactUrl(url));
  if (!/^postgres(ql)?:\/\//i.test(url)) return `the database URL must start with postgres:// or postgresql://, got ${shown}`;
  const port = portOf(url);
  if (port !== undefined && port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `the database URL's port must be a number from 1 to 65535, got ${JSON.stringify(port)} in ${shown}`;
  }
  try {
    new URL(url);
  } catch {
    return `the database URL ${shown} is not a valid URL (postgres://user:password@host:port/database; a password with @ : / ? # must be percent-encoded)`;
  }
  return undefined;
}

/** The port as written in a URL (undefined when absent), found without parsing the rest (which may be what is wrong). */
function portOf(url: string): string | undefined {
  const afterScheme = url.slice(url.indexOf('//') + 2);
  const hostPort = afterScheme.slice(afterScheme.lastIndexOf('@') + 1).split(/[/?#]/)[0];
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0 || colon < hostPort.lastIndexOf(']')) return undefined;
  return hostPort.slice(colon + 1);
}

/**
 * The database URL: `--pg-boss URL`, else the first line of `--pg-boss-file
 * FILE`, else $PGBOSS_URL, else $DATABASE_URL. Throws an Error naming the
 * source and the problem (never the password).
 */
export function resolveUrl(flags: UrlFlags, env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (flags.url !== undefined && flags.file !== undefined) throw new Error('--pg-boss and --pg-boss-file contradict each other: give one');
  let url: string | undefined;
  let from: string;
  if (flags.url !== undefined) {
    url = flags.url;
    from = '--pg-boss';
  } else if (flags.file !== undefined) {
    from = `--pg-boss-file ${JSON.stringify(flags.file)}`;
    let text: string;
    try {
      text = readFileSync(flags.file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${from}: ${(error as Error).message}`);
    }
    url = text.split(/\r?\n/).find((line) => line.trim() !== '')?.trim();
    if (url === undefined) throw new Error(`${from} is empty: it should hold the database URL on one line`);
  } else {
    const name = URL_VARIABLES.find((variable) => (env[variable] ?? '') !== '');
    if (name === undefined) {
      throw new Error(`no database URL: set PGBOSS_URL (or DATABASE_URL), or give --pg-boss-file FILE (or --pg-boss URL, which ps shows to every user)`);
    }
    url = env[name]!;
    from = `$${name}`;
  }
  const problem = urlProblem(url);
  if (problem) throw new Error(`${from}: ${problem}`);
  return { url, from };
}

/**
 * pg-boss 10 stores a queue's name in a column it also partitions by, and
 * hashes it into a table name through `bytea`, where a backslash is an escape: letters,
 * digits, `_`, `-`, `.`, `:` and `/` are safe
 * (a backslash breaks its bytea escaping), 1 to 200 characters.
 */
export function queueNameProblem(name: string): string | undefined {
  if (/^[A-Za-z0-9_][\w.:\-/]{0,199}$/.test(name)) return undefined;
  return `--queue must be 1 to 200 letters, digits, and _ - . : / (starting with a letter, digit or _), got ${JSON.stringify(name)}`;
}

/** pg-boss's schema: a Postgres name it accepts. */
export function schemaProblem(schema: string): string | undefined {
  if (/^[A-Za-z_]\w{0,49}$/.test(schema)) return undefined;
  return `--schema must be a Postgres name (letters, digits, _; at most 50; not starting with a digit), got ${JSON.stringify(schema)}`;
}

/** The warning for a password given on the command line, or undefined. */
export function passwordOnCommandLine(flags: UrlFlags): string | undefined {
  if (flags.url === undefined || urlPassword(flags.url) === undefined) return undefined;
  return 'the password in --pg-boss URL is visible to every user of this machine (ps); set PGBOSS_URL or use --pg-boss-file FILE instead (workers are never given it)';
}
