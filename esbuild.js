// Bundles the extension, the CLI (and, as they appear, the language server) into dist/,
// and the integration test suites into out/test/. `--production` minifies; `--watch` rebuilds.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

function listSuites() {
  const dir = path.join(__dirname, 'test', 'integration');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

const builds = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  // The language server runs in its own Node process (vscode-languageserver); no vscode import.
  // mainFields: jsonc-parser's UMD build (used by yaml-language-server) does not bundle; its ESM build does.
  { ...common, entryPoints: { server: 'src/server/server.ts' }, outdir: 'dist', external: [], mainFields: ['module', 'main'] },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  // Integration suites run inside the real VS Code extension host; mocha comes from node_modules.
  { ...common, entryPoints: listSuites(), outdir: 'out/test/integration', minify: false, external: ['vscode', 'mocha'] },
  // Code the benches run inside the real VS Code extension host.
  { ...common, entryPoints: { activation: 'bench/host/activation.ts', drift: 'bench/host/drift.ts' }, outdir: 'out/bench', minify: false },
];

async function main() {
  const t0 = Date.now();
  if (watch) {
    for (const b of builds) (await esbuild.context(b)).watch();
    console.log('[esbuild] watching…');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  // The bundled Kubernetes and CRD schemas, read by the language server and the CLI (see src/core/schema/README.md).
  fs.mkdirSync(path.join(__dirname, 'dist/schemas'), { recursive: true });
  for (const f of fs.readdirSync(path.join(__dirname, 'src/core/schema/bundled'))) {
    fs.copyFileSync(path.join(__dirname, 'src/core/schema/bundled', f), path.join(__dirname, 'dist/schemas', f));
  }
  // The JSON schema of .reconcile.yaml, contributed in package.json (yamlValidation).
  fs.copyFileSync(path.join(__dirname, 'src/core/repo/reconcile-config.schema.json'), path.join(__dirname, 'dist/reconcile-config.schema.json'));
  fs.chmodSync(path.join(__dirname, 'dist', 'cli.js'), 0o755);
  console.log(`[esbuild] built ${production ? 'production' : 'development'} bundles in ${Date.now() - t0} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
