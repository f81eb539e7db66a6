// The real kubectl (with kustomize) and helm that scripts/setup installs, from tools.json.
// Tests that render for real fail (never skip) when they are missing.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RealTools {
  kubectl: string;
  helm: string;
  file: string;
}

export function toolsJsonPath(): string {
  return join(process.env.RECONCILE_CACHE || join(homedir(), '.cache', 'reconcile'), 'tools.json');
}

export function realTools(): RealTools {
  const file = toolsJsonPath();
  if (!existsSync(file)) {
    throw new Error(`${file} not found: kubectl and helm are not installed for the render tests — run scripts/setup (npm run setup)`);
  }
  const t = JSON.parse(readFileSync(file, 'utf8')) as { kubectl?: string; helm?: string };
  for (const k of ['kubectl', 'helm'] as const) {
    const p = t[k];
    try {
      if (!p) throw new Error('missing');
      accessSync(p, constants.X_OK);
    } catch {
      throw new Error(`${file}: "${k}" (${p ?? 'not set'}) is not an executable file — run scripts/setup (npm run setup)`);
    }
  }
  return { kubectl: t.kubectl!, helm: t.helm!, file };
}
