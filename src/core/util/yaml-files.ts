// The YAML files of the workspace folders, for learning CRDs: skips node_modules, .git and hidden
// folders, does not follow symbolic links (no loops), and stops at a bound.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function findYamlFiles(roots: string[], max: number): string[] {
  const out: string[] = [];
  const stack = [...roots];
  while (stack.length && out.length < max) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
    }
  }
  return out;
}
