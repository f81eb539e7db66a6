// The folder's files, listed once: discovery asks this index instead of the disk. Skips
// node_modules, .git and hidden folders; follows symbolic links to folders once (by real path),
// so a link loop ends. File contents are read on demand, size-checked first, and cached.
//
// Reads are synchronous on purpose: for thousands of small files, Node's async readFile costs
// ~10× more (a thread-pool round trip per step); callers yield to the event loop between
// batches (see FileTree.yieldEvery).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INPUT_LIMITS, screenBytes, tooLarge } from '../manifest/limits';
import { FILE_START } from '../manifest/range';
import type { RepoError } from './model';

export interface DirEntry {
  /** Names of regular files (and links to files). */
  files: string[];
  /** Names of sub-folders that were listed (and links to folders not seen before). */
  dirs: string[];
}

export type ReadResult = { text: string; error?: undefined } | { text?: undefined; error: RepoError };

const SKIP_DIRS = new Set(['node_modules', '.git']);
const CHUNK = Buffer.allocUnsafe(64 * 1024);
const MAX_DEPTH = 64;

export class FileTree {
  readonly dirs = new Map<string, DirEntry>();
  readonly files = new Set<string>();
  readonly errors: RepoError[] = [];
  private readonly contents = new Map<string, ReadResult>();
  private readonly realCache = new Map<string, string>();
  private readonly statCache = new Map<string, 'file' | 'dir' | 'missing' | 'other'>();
  /** The root's real path (symbolic links resolved). */
  realRoot = '';

  private constructor(
    readonly root: string,
    readonly maxFileBytes: number,
  ) {}

  static scan(root: string, opts: { maxFileBytes?: number } = {}): FileTree {
    const abs = path.resolve(root);
    const tree = new FileTree(abs, opts.maxFileBytes ?? INPUT_LIMITS.maxFileBytes);
    const real = tree.realpath(abs);
    tree.realRoot = real;
    tree.walk(abs, real, new Set([real]), 0);
    return tree;
  }

  private walk(dir: string, real: string, seen: Set<string>, depth: number): void {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      this.errors.push({ code: 'unreadable', message: `cannot list folder: ${(e as Error).message}`, location: { file: dir, range: FILE_START } });
      return;
    }
    const entry: DirEntry = { files: [], dirs: [] };
    this.dirs.set(dir, entry);
    this.statCache.set(dir, 'dir');
    const sub: Array<[string, string]> = [];
    for (const e of ents) {
      const p = dir + path.sep + e.name;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      let childReal = path.join(real, e.name);
      if (e.isSymbolicLink()) {
        try {
          const st = fs.statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
          childReal = this.realpath(p);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
            this.errors.push({ code: 'link-loop', severity: 'warning', message: `${this.rel(p)} is a symbolic link that loops (ELOOP); not followed`, location: { file: p, range: FILE_START } });
          }
          continue; // a broken link
        }
      }
      if (isDir) {
        if (SKIP_DIRS.has(e.name) || e.name.charCodeAt(0) === 46 /* . */) continue;
        this.realCache.set(p, childReal);
        if (seen.has(childReal)) {
          // A link back to a folder that contains it is a loop (reported); one to a folder listed
          // elsewhere is an alias of it. Neither is descended into.
          if (e.isSymbolicLink() && (real === childReal || real.startsWith(childReal + path.sep))) {
            this.errors.push({ code: 'link-loop', severity: 'warning', message: `${this.rel(p)} links back to ${childReal === this.realRoot ? 'the repository root' : path.relative(this.realRoot, childReal).split(path.sep).join('/')}, a folder that contains it; not followed`, location: { file: p, range: FILE_START } });
          }
          continue;
        }
        if (depth + 1 > MAX_DEPTH) {
          this.errors.push({ code: 'depth-limit', message: `folders nested deeper than ${MAX_DEPTH} levels are not listed`, location: { file: p, range: FILE_START } });
          continue;
        }
        seen.add(childReal);
        entry.dirs.push(e.name);
        sub.push([p, childReal]);
      } else if (isFile) {
        entry.files.push(e.name);
        this.files.add(p);
        this.statCache.set(p, 'file');
      }
    }
    entry.files.sort();
    entry.dirs.sort();
    for (const [p, r] of sub) this.walk(p, r, seen, depth + 1);
  }

  /** Real path of a file or folder (cached); the path itself if it cannot be resolved. */
  realpath(p: string): string {
    let r = this.realCache.get(p);
    if (r === undefined) {
      try {
        r = fs.realpathSync(p);
      } catch {
        r = p;
      }
      this.realCache.set(p, r);
    }
    return r;
  }

  /** What is at a path: from the index when it was listed, from the disk otherwise. */
  kind(p: string): 'file' | 'dir' | 'missing' | 'other' {
    let k = this.statCache.get(p);
    if (k === undefined) {
      try {
        const st = fs.statSync(p);
        k = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
      } catch {
        k = 'missing';
      }
      this.statCache.set(p, k);
    }
    return k;
  }

  isFile(p: string): boolean {
    return this.kind(p) === 'file';
  }

  isDir(p: string): boolean {
    return this.kind(p) === 'dir';
  }

  /** Names of the files directly in a folder (listing it from the disk if it was not indexed). */
  filesIn(dir: string): string[] {
    const e = this.dirs.get(dir);
    if (e) return e.files;
    try {
      return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() || (d.isSymbolicLink() && this.isFile(path.join(dir, d.name)))).map((d) => d.name).sort();
    } catch {
      return [];
    }
  }

  /** Every indexed file under a folder (absolute paths, sorted). */
  filesUnder(dir: string): string[] {
    const out: string[] = [];
    const visit = (d: string, depth: number) => {
      const e = this.dirs.get(d);
      if (!e || depth > MAX_DEPTH) return;
      for (const f of e.files) out.push(path.join(d, f));
      for (const s of e.dirs) visit(path.join(d, s), depth + 1);
    };
    visit(dir, 0);
    return out.sort();
  }

  /** Every indexed folder under (and including) a folder. */
  dirsUnder(dir: string): string[] {
    const out: string[] = [];
    const visit = (d: string, depth: number) => {
      const e = this.dirs.get(d);
      if (!e || depth > MAX_DEPTH) return;
      out.push(d);
      for (const s of e.dirs) visit(path.join(d, s), depth + 1);
    };
    visit(dir, 0);
    return out;
  }

  /** The file's text, or an error (too large, binary, unreadable). Cached. */
  read(file: string): ReadResult {
    const hit = this.contents.get(file);
    if (hit) return hit;
    const loc = { file, range: FILE_START };
    let result: ReadResult;
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      // One read into a shared buffer covers most manifests; only larger files pay for fstat().
      let data: Buffer;
      const n = fs.readSync(fd, CHUNK, 0, CHUNK.length, 0);
      let size = n;
      if (n < CHUNK.length) data = Buffer.from(CHUNK.subarray(0, n));
      else {
        const st = fs.fstatSync(fd);
        size = st.size;
        if (!st.isFile()) throw new Error('not a regular file');
        if (st.size > this.maxFileBytes) data = Buffer.alloc(0);
        else {
          data = Buffer.allocUnsafe(st.size);
          CHUNK.copy(data, 0, 0, n);
          let off = n;
          while (off < st.size) {
            const m = fs.readSync(fd, data, off, st.size - off, off);
            if (m === 0) break;
            off += m;
          }
          if (off < st.size) data = data.subarray(0, off);
        }
      }
      // The limits every reader applies (manifest/limits.ts): size, NUL bytes, UTF-8, documents, nesting.
      const screened = size > this.maxFileBytes ? { refusal: tooLarge(size, this.maxFileBytes) } : screenBytes(data, { maxFileBytes: this.maxFileBytes });
      if (screened.refusal) {
        const r = screened.refusal;
        result = { error: { code: r.code, severity: r.severity, message: `${path.basename(file)}: ${r.message}`, location: { file, range: r.range } } };
      } else {
        result = { text: screened.text };
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      result = {
        error: {
          code: 'unreadable',
          message: err.code === 'EISDIR' ? `${path.basename(file)} is not a regular file` : `cannot read ${path.basename(file)}: ${err.message}`,
          location: loc,
        },
      };
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    this.contents.set(file, result);
    return result;
  }

  /** Path relative to the root, '/'-separated ('.' for the root itself). */
  rel(p: string): string {
    if (p.length > this.root.length && p.startsWith(this.root) && p[this.root.length] === path.sep) {
      const r = p.slice(this.root.length + 1);
      return path.sep === '/' ? r : r.split(path.sep).join('/');
    }
    const r = path.relative(this.root, p);
    return r === '' ? '.' : r.split(path.sep).join('/');
  }

  isInside(p: string): boolean {
    if (p === this.root || (p.startsWith(this.root) && p[this.root.length] === path.sep)) return true;
    const r = path.relative(this.root, p);
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  }
}

export function isYamlName(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml');
}

/** Yields to the event loop (lets other work run between batches of synchronous reads). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
