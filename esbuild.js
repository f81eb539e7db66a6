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
  // The CLI is split per command (ESM code splitting): dist/cli.js (written below) imports
  // dist/cli/main.mjs, which holds only the argument parser and the usage text; each command's code
  // and the libraries it needs are chunks imported when that command runs, so `reconcile --help`
  // loads ~10 KB instead of the whole bundle, and `envs` loads no schemas, CEL or cluster client.
  // Node 20 has no compile cache for ES modules (module.enableCompileCache is Node ≥ 22.1).
  // Bundled CommonJS libraries call require() and read __dirname: the banner gives every chunk both.
  {
    ...common,
    entryPoints: { main: 'src/cli/bin.ts' },
    outdir: 'dist/cli',
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; import { dirname as __pathDirname } from 'node:path'; const require = __createRequire(import.meta.url); const __filename = __fileURLToPath(import.meta.url); const __dirname = __pathDirname(__filename);",
    },
  },
  // Integration suites run inside the real VS Code extension host; mocha comes from node_modules.
  { ...common, entryPoints: listSuites(), outdir: 'out/test/integration', minify: false, external: ['vscode', 'mocha'] },
  // Code the benches run inside the real VS Code extension host.
  { ...common, entryPoints: { activation: 'bench/host/activation.ts', drift: 'bench/host/drift.ts' }, outdir: 'out/bench', minify: false },
];

/** dist/cli.js, the `reconcile` executable (package.json bin): a CommonJS file that imports the split CLI. */
function writeCliEntry() {
  const file = path.join(__dirname, 'dist', 'cli.js');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `#!/usr/bin/env node
// The reconcile CLI; its code is in cli/*.mjs, loaded per command (see esbuild.js).
import('./cli/main.mjs').catch((e) => {
  process.stderr.write(\`reconcile: \${e instanceof Error ? e.stack : String(e)}\\n\`);
  process.exitCode = 2;
});
`,
  );
  fs.chmodSync(file, 0o755);
}

async function main() {
  const t0 = Date.now();
  if (watch) {
    writeCliEntry();
    for (const b of builds) (await esbuild.context(b)).watch();
    console.log('[esbuild] watching…');
    return;
  }
  fs.rmSync(path.join(__dirname, 'dist/cli.js.map'), { force: true }); // of the single-file CLI of earlier versions
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, metafile: true })));
  writeCliEntry();
  // Chunks of earlier builds are removed after this one is written (not before: a CLI running meanwhile keeps its chunks).
  const written = new Set(results.flatMap((r) => Object.keys(r.metafile.outputs)).map((f) => path.resolve(process.cwd(), f))); // metafile paths are relative to the working directory
  for (const f of fs.readdirSync(path.join(__dirname, 'dist/cli'))) {
    const file = path.join(__dirname, 'dist/cli', f);
    if (!written.has(file)) fs.rmSync(file, { force: true });
  }
  // The bundled Kubernetes and CRD schemas, read by the language server and the CLI (see src/core/schema/README.md).
  fs.mkdirSync(path.join(__dirname, 'dist/schemas'), { recursive: true });
  for (const f of fs.readdirSync(path.join(__dirname, 'src/core/schema/bundled'))) {
    fs.copyFileSync(path.join(__dirname, 'src/core/schema/bundled', f), path.join(__dirname, 'dist/schemas', f));
  }
  // The JSON schema of .reconcile.yaml, contributed in package.json (yamlValidation).
  fs.copyFileSync(path.join(__dirname, 'src/core/repo/reconcile-config.schema.json'), path.join(__dirname, 'dist/reconcile-config.schema.json'));
  console.log(`[esbuild] built ${production ? 'production' : 'development'} bundles in ${Date.now() - t0} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
