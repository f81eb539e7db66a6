#!/usr/bin/env node
// Builds the VSIX with @vscode/vsce from the production bundles (run by `npm run package`) and prints its size.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', vsix], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const mb = statSync(vsix).size / 1024 / 1024;
const limit = 5;
console.log(`VSIX ${vsix}: ${mb.toFixed(2)} MB (target ≤ ${limit} MB)`);
if (mb > limit) {
  console.error(`the VSIX is larger than ${limit} MB: check .vscodeignore`);
  process.exit(1);
}
