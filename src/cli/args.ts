// A small, strict argument parser for the CLI: unknown options are usage errors (exit 2).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The command line is wrong (unknown command or option, a missing or bad option value): the message, then the usage text; exit 2. */
export class UsageError extends Error {}

/**
 * The command line is well formed but names something that is not there (a missing path, a file
 * where a folder is expected, an unknown environment): one line, no usage text; exit 2.
 */
export class InputError extends Error {}

/**
 * The one path argument of a command, resolved against `cwd` (default `.`): it must exist, and be
 * a folder unless `file` is allowed. Throws UsageError for two paths, InputError otherwise.
 */
export function pathArgument(args: ParsedArgs, cwd: string, command: string, opts: { file?: boolean } = {}): { path: string; isDirectory: boolean } {
  if (args.positionals.length > 1) throw new UsageError(`expected at most one path, got ${args.positionals.join(' ')}`);
  const p = path.resolve(cwd, args.positionals[0] ?? '.');
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new InputError(`no such ${opts.file ? 'file or folder' : 'folder'}: ${p}`);
  }
  if (!st.isDirectory() && !opts.file) throw new InputError(`${p} is a file; ${command} needs the repository's folder`);
  return { path: p, isDirectory: st.isDirectory() };
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
}

/**
 * @param spec option name → whether it takes a value (`--format text`) or is a flag (`--all`).
 */
export function parseArgs(argv: string[], spec: Record<string, 'value' | 'flag'>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (kind === 'value') {
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    } else if (eq >= 0) throw new UsageError(`--${name} takes no value`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positionals, options };
}

export function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback: T): T {
  const v = args.options.get(name)?.at(-1);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${v}')`);
  return v as T;
}
