// The YAML files of the workspace folders, for learning CRDs: skips node_modules, .git and hidden
// folders, does not follow symbolic links (no loops), and stops at a bound. Links that loop (to a
// folder that contains them, or that the OS cannot resolve) are reported to `onLinkLoop`.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function findYamlFiles(roots: string[], max: number, onLinkLoop?: (link: string, message: string) => void): string[] {
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
      else if (e.isSymbolicLink() && onLinkLoop) {
        const loop = linkLoop(dir, p);
        if (loop) onLinkLoop(p, loop);
      }
    }
  }
  return out;
}

/** Why a symbolic link loops, or undefined. */
function linkLoop(dir: string, link: string): string | undefined {
  try {
    const target = fs.realpathSync(link);
    const here = fs.realpathSync(dir);
    if (fs.statSync(target).isDirectory() && (here === target || here.startsWith(target + path.sep))) {
      return `${path.basename(link)} links back to ${target}, a folder that contains it; not followed`;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return `${path.basename(link)} is a symbolic link that loops (ELOOP); not followed`;
  }
  return undefined;
}
