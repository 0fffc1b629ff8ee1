/**
 * The manager's side of serving children from what it already compiled: a
 * JSON file, in a private temporary directory, of every TypeScript module the
 * manager loaded through ts-node, as ts-node compiled it (with its inline
 * source map). Children read it through ts-child-preload.js. The file grows
 * when the manager loads more modules between spawns (a reload loop), and is
 * removed when the manager exits.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onExit } from 'signal-exit';
import type { CachedModule } from './ts-child-config';
import { warn } from '../warn';
import type { TsNodeService } from './ts-node-service';

class CompiledCache {
  #dir: string | undefined;
  #modules = new Map<string, CachedModule>();
  #failed = false;

  /**
   * Adds the TypeScript modules loaded since the last call, rewrites the file
   * when there are any, and returns its path (undefined when it cannot be made).
   */
  update(service: TsNodeService, compiled: string[]): string | undefined {
    if (this.#failed || !service.compile) return undefined;
    try {
      let added = false;
      for (const filename of Object.keys(require.cache)) {
        if (!compiled.includes(path.extname(filename)) || service.ignored?.(filename)) continue;
        const entry = this.#compile(service, filename);
        if (entry) {
          this.#modules.set(filename, entry);
          added = true;
        }
      }
      const file = path.join(this.#directory(), 'compiled.json');
      if (added) {
        // Write and rename, so that a child starting meanwhile reads the old file or the new one, never half of one.
        const partial = `${file}.${process.pid}.tmp`;
        writeFileSync(partial, JSON.stringify(Object.fromEntries(this.#modules)));
        renameSync(partial, file);
      }
      return file;
    } catch (err) {
      this.#failed = true;
      warn(`children cannot be served from the manager's compiled TypeScript (${(err as Error).message}); they will compile with ts-node`);
      return undefined;
    }
  }

  /**
   * The module compiled as ts-node compiles it, or undefined when it is cached
   * already or cannot be compiled now (deleted, or edited into a type error
   * since the manager loaded it): the child then compiles it itself.
   */
  #compile(service: TsNodeService, filename: string): CachedModule | undefined {
    try {
      const stat = statSync(filename);
      const known = this.#modules.get(filename);
      if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return undefined;
      const code = service.compile!(readFileSync(filename, 'utf8'), filename);
      return { mtimeMs: stat.mtimeMs, size: stat.size, code };
    } catch {
      return undefined;
    }
  }

  #directory(): string {
    if (this.#dir) return this.#dir;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parallel-prefork-ipc-'));
    this.#dir = dir;
    onExit(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
}

/** One per process: the manager's compiled modules are the same for every PreforkIPC object in it. */
export const compiledCache = new CompiledCache();
