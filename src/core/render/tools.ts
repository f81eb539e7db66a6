// Finding kubectl, kustomize and helm: the path given in settings (reconcile.tools.<name>)
// first, then each folder of PATH. A tool that is not found is an error that says where we looked
// and how to set the path. Versions are asked once per executable and cached. A relative path in a
// setting is taken from the workspace folder (resolveToolPaths; the CLI takes it from its working
// directory), never from the process's own working directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProcessRunner } from './process-runner';
import type { RenderError, ToolInfo, ToolName } from './types';

export type ToolPaths = Partial<Record<ToolName, string | undefined>>;

export interface ToolLookup {
  tool?: ToolInfo;
  error?: RenderError;
}

export const SETTING_OF: Record<ToolName, string> = {
  kubectl: 'reconcile.tools.kubectl',
  kustomize: 'reconcile.tools.kustomize',
  helm: 'reconcile.tools.helm',
};

/**
 * Tool paths as absolute paths: `~/…` from the home folder, a relative path from `baseDir` (the
 * workspace folder whose repository is rendered — in a trusted workspace only — or the CLI's working
 * directory). Without a `baseDir` a relative path stays relative, and ToolLocator refuses it, saying why.
 */
export function resolveToolPaths(paths: ToolPaths, baseDir: string | undefined, home = os.homedir()): ToolPaths {
  const out: ToolPaths = {};
  for (const [name, given] of Object.entries(paths) as Array<[ToolName, string | undefined]>) {
    const p = given?.trim();
    if (!p) continue;
    if (p === '~' || p.startsWith('~/') || p.startsWith(`~${path.sep}`)) out[name] = path.join(home, p.slice(1));
    else if (path.isAbsolute(p) || !baseDir) out[name] = p;
    else out[name] = path.resolve(baseDir, p);
  }
  return out;
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function exeNames(name: string): string[] {
  return process.platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
}

export class ToolLocator {
  private readonly versions = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly explicit: ToolPaths,
    private readonly runner: ProcessRunner,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private pathDirs(): string[] {
    const p = this.env.PATH ?? this.env.Path ?? '';
    return p.split(path.delimiter).filter(Boolean);
  }

  /** Looks for one tool; `setting` problems (a path that does not exist) are errors, not fallbacks. */
  find(name: ToolName): ToolLookup {
    const setting = SETTING_OF[name];
    const given = this.explicit[name];
    if (given) {
      if (!path.isAbsolute(given)) {
        return {
          error: {
            code: 'tool-not-found',
            tool: name,
            message: `${name} not used: the setting ${setting} is the relative path "${given}", which is resolved against the workspace folder only in a trusted workspace with a folder open. Trust the workspace, or set an absolute path in ${setting}.`,
          },
        };
      }
      if (isExecutable(given)) return { tool: { name, path: given, source: 'setting' } };
      return {
        error: {
          code: 'tool-not-found',
          tool: name,
          message: `${name} not found: the setting ${setting} is "${given}", which is not an executable file. Fix the path in ${setting}, or clear it to use ${name} from PATH.`,
        },
      };
    }
    for (const dir of this.pathDirs()) {
      for (const exe of exeNames(name)) {
        const p = path.join(dir, exe);
        if (isExecutable(p)) return { tool: { name, path: p, source: 'PATH' } };
      }
    }
    return { error: this.notFound([name]) };
  }

  /**
   * kustomize, or kubectl (which has kustomize built in): the settings first (kustomize, then
   * kubectl), then PATH (kustomize, then kubectl).
   */
  findKustomize(): ToolLookup {
    if (this.explicit.kustomize) {
      const r = this.find('kustomize');
      if (r.tool || !this.explicit.kubectl) return r;
    }
    if (this.explicit.kubectl) return this.find('kubectl');
    for (const name of ['kustomize', 'kubectl'] as const) {
      const r = this.find(name);
      if (r.tool) return r;
    }
    return { error: this.notFound(['kustomize', 'kubectl']) };
  }

  private notFound(names: ToolName[]): RenderError {
    const settings = names.map((n) => `${SETTING_OF[n]} (${this.explicit[n] ? `"${this.explicit[n]}"` : 'not set'})`).join(', ');
    const dirs = this.pathDirs();
    const what = names.join(' or ');
    return {
      code: 'tool-not-found',
      tool: names[names.length - 1],
      message:
        `${what} not found. Looked in the setting${names.length > 1 ? 's' : ''} ${settings} and in PATH: ${dirs.length ? dirs.join(', ') : '(PATH is empty)'}. ` +
        `Install ${what}, or set ${names.map((n) => `"${SETTING_OF[n]}"`).join(' or ')} to the full path of the executable.`,
    };
  }

  /** The tool's version (asked once per executable; a changed file is asked again). */
  version(tool: ToolInfo): Promise<string | undefined> {
    let stamp = '';
    try {
      const st = fs.statSync(tool.path);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      /* the version will say undefined */
    }
    const key = `${tool.name}\0${tool.path}\0${stamp}`;
    let v = this.versions.get(key);
    if (!v) {
      // A runner that threw is not an answer to keep: the next render asks again.
      v = this.askVersion(tool).catch((e: unknown) => {
        this.versions.delete(key);
        throw e;
      });
      this.versions.set(key, v);
    }
    return v;
  }

  private async askVersion(tool: ToolInfo): Promise<string | undefined> {
    const args = tool.name === 'kubectl' ? ['version', '--client', '-o', 'json'] : tool.name === 'helm' ? ['version', '--short'] : ['version'];
    const r = await this.runner.run(tool.path, args, { timeoutMs: 5_000, maxOutputBytes: 1024 * 1024, env: this.env });
    if (r.exitCode !== 0) return undefined;
    return parseVersion(tool.name, r.stdout);
  }
}

/** Reads a version out of `kubectl version --client -o json`, `helm version --short`, `kustomize version`. */
export function parseVersion(name: ToolName, stdout: string): string | undefined {
  const text = stdout.trim();
  if (name === 'kubectl') {
    try {
      const j = JSON.parse(text) as { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
      const v = j.clientVersion?.gitVersion;
      return v ? (j.kustomizeVersion ? `${v} (kustomize ${j.kustomizeVersion})` : v) : undefined;
    } catch {
      return /v\d+\.\d+\.\d+\S*/.exec(text)?.[0];
    }
  }
  return /v?\d+\.\d+\.\d+[^\s,}"]*/.exec(text)?.[0];
}
