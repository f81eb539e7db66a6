// Loaded by the real VS Code extension host through `extensionTestsPath` (see test/harness/vscode.mjs).
// Runs every *.test.js suite beside it with mocha and writes the results where the harness reads them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface Results {
  passes: { title: string; ms?: number }[];
  failures: { title: string; error: string }[];
  pending: string[];
}

export function run(): Promise<void> {
  const out = process.env.RECONCILE_TEST_OUT;
  if (!out) return Promise.reject(new Error('RECONCILE_TEST_OUT is not set: run the suites through test/harness/run-integration.mjs'));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  if (process.env.RECONCILE_TEST_GREP) mocha.grep(process.env.RECONCILE_TEST_GREP);
  // Suites named *.untrusted.test.js run in a session whose workspace is not trusted, *.multiroot.test.js
  // in a multi-root workspace of two repositories (test/fixtures/multiroot); the others in a trusted examples/.
  const session = process.env.RECONCILE_TEST_SESSION ?? 'trusted';
  // *.broken.test.js in examples/ with a missing helm and no kubeconfig.
  const sessionOf = (f: string) =>
    f.endsWith('.untrusted.test.js') ? 'untrusted' : f.endsWith('.multiroot.test.js') ? 'multiroot' : f.endsWith('.broken.test.js') ? 'broken' : 'trusted';
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) {
    if (sessionOf(f) === session) mocha.addFile(path.join(__dirname, f));
  }
  const results: Results = { passes: [], failures: [], pending: [] };
  const progress = fs.createWriteStream(path.join(out, 'progress.log'), { flags: 'a' });
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2));
      progress.end();
      if (failures) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      results.passes.push({ title: t.fullTitle(), ms: t.duration });
      progress.write(`  ✓ ${t.fullTitle()} (${t.duration ?? 0} ms)\n`);
    });
    runner.on('fail', (t, err: Error) => {
      results.failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) });
      progress.write(`  ✗ ${t.fullTitle()}\n${String(err?.stack ?? err).replace(/^/gm, '      ')}\n`);
    });
    runner.on('pending', (t) => {
      results.pending.push(t.fullTitle());
      progress.write(`  - SKIPPED ${t.fullTitle()}\n`);
    });
  });
}
