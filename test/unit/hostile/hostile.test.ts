// Hostile input, measured: a corpus of more than 300 inputs (test/unit/hostile/corpus.ts, generated
// into a temporary folder) run through `reconcile check`, `envs` and `render` as whole processes
// (the bundled CLI, as shipped) and through the language server over LSP (stdio, as an editor
// drives it). Asserted: no crash (an exit other than 0/1, a signal, or a stack trace), no hang (a
// process that does not exit within 60 s is killed and counted), peak RSS of every process under
// the stated bound, and for every input the specific finding of its kind (code, message, line).
// Times are printed, never asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { INPUT_LIMITS } from '../../../src/core/manifest/limits';
import { realTools } from '../render/real-tools';
import { generateCorpus, type Category, type Input } from './corpus';
import { bundle, HANG_MS, mb, peakRssOf, pool, runCli, type Run } from './processes';

const repoRoot = join(__dirname, '..', '..', '..');
/** The memory bound, stated: no CLI run and no language server goes past this peak RSS (the 50 MB file included). */
const MAX_RSS = 1024 * 1024 * 1024;
const BOUND = `peak RSS ≤ ${mb(MAX_RSS)} per process; files > ${INPUT_LIMITS.maxFileBytes / (1024 * 1024)} MB, > ${INPUT_LIMITS.maxDocuments} documents, nesting > ${INPUT_LIMITS.maxDepth} levels, > ${INPUT_LIMITS.maxAliasCount} alias expansions are refused`;

let tmp: string;
let corpus: string;
let inputs: Input[];
let bin: Awaited<ReturnType<typeof bundle>>;
const table: string[][] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'reconcile-hostile-'));
  corpus = join(tmp, 'corpus');
  const t0 = performance.now();
  inputs = generateCorpus(corpus);
  bin = await bundle(repoRoot, join(tmp, 'bin'));
  console.log(`hostile corpus: ${inputs.length} inputs generated and the CLI and language server bundled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

after(() => {
  if (table.length) {
    const head = ['runs', 'inputs', 'processes', 'crashes', 'hangs', 'max time', 'max peak RSS', 'specific finding'];
    const rows = [head, ...table];
    const w = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`\nHostile input (${BOUND}; a hang is no exit within ${HANG_MS / 1000} s):`);
    for (const r of rows) console.log(`  ${r.map((c, i) => c.padEnd(w[i])).join('  ')}`);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A stack trace or a fatal error on stderr: the process crashed, whatever its exit code. */
const CRASH = /RangeError|Maximum call stack|heap out of memory|FATAL ERROR|TypeError|ReferenceError|\n\s+at .+:\d+:\d+/;

function crashed(r: Run, okCodes: number[]): boolean {
  return !r.hung && (r.signal !== null || r.code === null || !okCodes.includes(r.code) || CRASH.test(r.stderr));
}

interface Reported {
  code: string;
  message: string;
  file?: string;
  line?: number;
}

/** The findings of `check --format json`, with absolute file paths. */
function checkFindings(r: Run, root: string): Reported[] {
  const list = JSON.parse(r.stdout) as Array<{ code: string; message: string; file?: string; range: { start: { line: number } } }>;
  return list.map((f) => ({ code: f.code, message: f.message, file: f.file === undefined ? undefined : resolve(root, f.file), line: f.range.start.line }));
}

/** Every error of `envs --format json` (model, environments, applications), with its file. */
function envsErrors(r: Run): Reported[] {
  const m = JSON.parse(r.stdout) as {
    errors: E[];
    environments: Array<{ errors: E[]; applications: Array<{ errors: E[] }> }>;
  };
  type E = { code: string; message: string; location?: { file: string; range: { start: { line: number } } } };
  const all = [...m.errors, ...m.environments.flatMap((e) => [...e.errors, ...e.applications.flatMap((a) => a.errors)])];
  return all.map((e) => ({ code: e.code, message: e.message, file: e.location?.file, line: e.location?.range.start.line }));
}

function matches(found: Reported[], input: Input, where: (f: Reported) => boolean): string | undefined {
  const mine = found.filter(where);
  const hit = mine.find((f) => input.code!.test(f.code) && (!input.message || input.message.test(f.message)) && (input.line === undefined || f.line === input.line));
  if (hit) return undefined;
  return `${input.category}/${input.name}: expected ${input.code}${input.message ? ` ${input.message}` : ''}${input.line !== undefined ? ` on line ${input.line}` : ''}, got ${JSON.stringify(mine.map((f) => [f.code, f.line, f.message.slice(0, 120)]))}`;
}

const REFUSED: Category[] = ['binary', 'encoding', 'deep', 'size', 'documents'];

test('hostile input: every file through `reconcile check`, `envs` and `render`, and the repositories through `envs` and `check`: no crash, no hang, bounded memory, a specific finding each', { timeout: 20 * 60_000 }, async () => {
  const fileInputs = inputs.filter((i) => i.code && !i.big && !['link-loops', 'outside'].includes(i.category));
  const bigInputs = inputs.filter((i) => i.big);
  const repoInputs = inputs.filter((i) => i.category === 'link-loops' || i.category === 'outside');
  const categories = [...new Set(fileInputs.map((i) => i.category))];
  type Job = { run: () => Promise<Run>; check: (r: Run) => string[]; inputs: Input[] };
  const jobs: Job[] = [];

  // File categories: one process per command and category folder; each input is a folder of its own.
  for (const cat of categories) {
    const dir = join(corpus, 'files', cat);
    const mine = fileInputs.filter((i) => i.category === cat);
    jobs.push({
      inputs: mine,
      run: () => runCli(bin, `check ${cat}`, ['check', dir, '--format', 'json', '--fail-on', 'never'], tmp),
      check: (r) => {
        const found = checkFindings(r, dir);
        return mine.map((i) => matches(found, i, (f) => f.file === i.path)).filter((x): x is string => !!x);
      },
    });
    jobs.push({
      inputs: mine,
      run: () => runCli(bin, `envs ${cat}`, ['envs', dir, '--format', 'json'], tmp),
      check: (r) => {
        if (!REFUSED.includes(cat)) return [];
        // discovery reads every YAML file: each refused one is an error that names the limit
        const found = envsErrors(r);
        return mine.map((i) => matches(found, { ...i, code: /^(binary|encoding|too-large|too-many-documents|too-deep)$/, line: undefined }, (f) => f.file === i.path)).filter((x): x is string => !!x);
      },
    });
    // Render the plain folders discovery found (a refused file is no manifest: it is in envs' errors).
    if (!REFUSED.includes(cat)) jobs.push({ inputs: mine, run: () => runCli(bin, `render ${cat}`, ['render', dir, '--env', 'default'], tmp), check: () => [] });
  }
  // Big inputs: a process each, for check and for envs.
  for (const i of bigInputs) {
    jobs.push({
      inputs: [i],
      run: () => runCli(bin, `check ${i.category}/${i.name}`, ['check', i.path, '--format', 'json', '--fail-on', 'never'], tmp),
      check: (r) => [matches(checkFindings(r, dirname(i.path)), i, (f) => f.file === i.path)].filter((x): x is string => !!x),
    });
    jobs.push({
      inputs: [i],
      run: () => runCli(bin, `envs ${i.category}/${i.name}`, ['envs', dirname(i.path), '--format', 'json'], tmp),
      check: (r) => {
        if (!i.code!.test('yaml/too-large') && !i.code!.test('yaml/too-many-documents')) return []; // a big file that is checked: envs lists it, no error
        return [matches(envsErrors(r), { ...i, code: /^(too-large|too-many-documents)$/, line: undefined }, (f) => f.file === i.path)].filter((x): x is string => !!x);
      },
    });
  }
  // Repositories: envs must name the loop or the reference outside; check must name link loops.
  for (const i of repoInputs) {
    jobs.push({
      inputs: [i],
      run: () => runCli(bin, `envs ${i.category}/${i.name}`, ['envs', i.path, '--format', 'json'], tmp),
      check: (r) => (envsErrors(r).some((e) => i.envs!.test(e.message)) ? [] : [`${i.category}/${i.name}: envs does not say ${i.envs}: ${JSON.stringify(envsErrors(r).map((e) => e.message))}`]),
    });
    jobs.push({
      inputs: [i],
      run: () => runCli(bin, `check ${i.category}/${i.name}`, ['check', i.path, '--format', 'json', '--fail-on', 'never'], tmp),
      check: (r) => {
        const found = checkFindings(r, i.path);
        const problems: string[] = [];
        // the repository's own manifest is still checked
        if (!found.some((f) => f.code === 'schema/type' && f.file === join(i.path, 'manifests', 'web.yaml'))) problems.push(`${i.category}/${i.name}: check missed manifests/web.yaml`);
        if (i.code && !found.some((f) => i.code!.test(f.code))) problems.push(`${i.category}/${i.name}: check does not report ${i.code}: ${JSON.stringify(found.map((f) => f.code))}`);
        // nothing outside the repository is read: the Secret beside it never shows up
        if (found.some((f) => f.file && !f.file.startsWith(i.path))) problems.push(`${i.category}/${i.name}: check reported a file outside the repository`);
        return problems;
      },
    });
  }

  const results = await pool(
    jobs.map((j) => async () => ({ job: j, run: await j.run() })),
    2,
  );
  const crashes = results.filter((x) => crashed(x.run, [0, 1]));
  const hangs = results.filter((x) => x.run.hung);
  const heavy = results.filter((x) => (x.run.maxRss ?? 0) > MAX_RSS);
  const misses = new Map(results.map((x) => [x, crashed(x.run, [0, 1]) || x.run.hung ? [] : x.job.check(x.run)]));
  const missing = [...misses.values()].flat();
  const byCommand = (cmd: string) => results.filter((x) => x.run.args[0] === cmd);
  for (const cmd of ['check', 'envs', 'render']) {
    const rs = byCommand(cmd);
    const ins = new Set(rs.flatMap((x) => x.job.inputs));
    const slowest = rs.reduce((a, b) => (b.run.ms > a.run.ms ? b : a));
    const largest = rs.reduce((a, b) => ((b.run.maxRss ?? 0) > (a.run.maxRss ?? 0) ? b : a));
    table.push([
      `reconcile ${cmd}`,
      String(ins.size),
      String(rs.length),
      String(rs.filter((x) => crashed(x.run, [0, 1])).length),
      String(rs.filter((x) => x.run.hung).length),
      `${(slowest.run.ms / 1000).toFixed(1)} s (${slowest.run.label})`,
      `${mb(largest.run.maxRss)} (${largest.run.label})`,
      cmd === 'render' ? 'n/a (checked for crashes)' : `${ins.size - new Set(rs.flatMap((x) => misses.get(x)!.map((m) => m.split(':')[0]))).size}/${ins.size}`,
    ]);
  }
  for (const x of results) if (x.job.inputs.some((i) => i.big)) console.log(`  ${x.run.label.padEnd(34)} ${(x.run.ms / 1000).toFixed(2).padStart(6)} s  ${mb(x.run.maxRss).padStart(7)}  exit ${x.run.code}`);
  assert.deepEqual(crashes.map((x) => `${x.run.label}: exit ${x.run.code} ${x.run.signal ?? ''} ${x.run.stderr.slice(0, 600)}`), [], 'crashes');
  assert.deepEqual(hangs.map((x) => x.run.label), [], 'hangs (no exit within 60 s)');
  assert.deepEqual(heavy.map((x) => `${x.run.label}: ${mb(x.run.maxRss)}`), [], `over the memory bound of ${mb(MAX_RSS)}`);
  assert.ok(results.every((x) => x.run.hung || x.run.maxRss !== undefined), 'every process reported its peak RSS');
  assert.deepEqual(missing, [], 'inputs without their specific finding');
});

test('hostile input: every file opened in the language server over LSP: no crash, no hang, bounded memory, the same specific finding as the CLI', { timeout: 10 * 60_000 }, async () => {
  const files = inputs.filter((i) => i.code && !['link-loops', 'outside'].includes(i.category));
  const rusage = join(tmp, 'rusage-server');
  // The workspace is the whole corpus: at start the server learns CRDs from every YAML file in it
  // (link loops, 50 MB files and all), through the same limits.
  const child = spawn(process.execPath, ['-r', bin.measure, bin.server, '--stdio'], { env: { ...bin.env, HOSTILE_RUSAGE: rusage }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters: Array<() => void> = [];
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    for (const w of waiters.splice(0)) w();
  });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<string, Array<{ code?: string; message: string; range: { start: { line: number } } }>>();
  const logged: string[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Array<{ code?: string; message: string; range: { start: { line: number } } }> }) => {
    published.set(p.uri, p.diagnostics);
    for (const w of waiters.splice(0)) w();
  });
  conn.onNotification('window/logMessage', (m: { type: number; message: string }) => {
    logged.push(m.message);
    for (const w of waiters.splice(0)) w();
  });
  conn.onRequest(() => null);
  conn.listen();
  /** Waits until `ok()` or the process exits or HANG_MS pass; true when ok() holds. */
  const until = async (ok: () => boolean): Promise<boolean> => {
    const deadline = performance.now() + HANG_MS;
    while (!ok()) {
      if (exited || performance.now() > deadline) return false;
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 1000);
      });
    }
    return true;
  };
  const problems: string[] = [];
  let hangs = 0;
  let slowest = { ms: 0, name: '' };
  try {
    const rootUri = pathToFileURL(corpus).toString();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: 'hostile' }], capabilities: {} });
    await conn.sendNotification('initialized', {});
    if (!(await until(() => logged.some((m) => /^Learned CRDs/.test(m))))) problems.push('the server did not finish learning CRDs from the corpus');
    const decoder = new TextDecoder('utf-8'); // as an editor decodes a file: bad bytes become U+FFFD
    for (const i of files) {
      if (exited) break;
      const uri = pathToFileURL(i.path).toString();
      let text = decoder.decode(readFileSync(i.path));
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // VS Code keeps the BOM out of the buffer
      published.delete(uri);
      const t0 = performance.now();
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
      text = '';
      if (!(await until(() => published.has(uri)))) {
        if (!exited) hangs++;
        problems.push(`${i.category}/${i.name}: no diagnostics${exited ? ' (the server exited)' : ` within ${HANG_MS / 1000} s`}`);
        break;
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, name: `${i.category}/${i.name}` };
      const found = published.get(uri)!.map((d) => ({ code: String(d.code ?? ''), message: d.message, file: i.path, line: d.range.start.line }));
      const miss = matches(found, i, () => true);
      if (miss) problems.push(miss);
      await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
    const peak = peakRssOf(child.pid!);
    table.push([
      'language server (LSP)',
      String(files.length),
      '1',
      exited ? '1' : '0',
      String(hangs),
      `${(slowest.ms / 1000).toFixed(1)} s (${slowest.name})`,
      `${mb(peak)} (whole session)`,
      `${files.length - problems.length}/${files.length}`,
    ]);
    assert.equal(exited, undefined, `the language server exited: ${JSON.stringify(exited)} ${stderr.slice(0, 1000)}`);
    assert.doesNotMatch(stderr, CRASH);
    assert.equal(hangs, 0, 'hangs');
    assert.ok(peak !== undefined && peak <= MAX_RSS, `peak RSS ${mb(peak)} over the bound of ${mb(MAX_RSS)}`);
    assert.deepEqual(problems, [], 'inputs without their specific finding');
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    if (!exited) child.kill();
  }
});

test('hostile input: Helm charts with failing, looping and hostile templates through `reconcile render` with the real helm: a specific message per chart, no crash, no hang', { timeout: 10 * 60_000 }, async () => {
  const tools = realTools();
  const charts = inputs.filter((i) => i.category === 'helm');
  const dir = join(corpus, 'helm');
  const [render, envs] = await pool(
    [
      () => runCli(bin, 'render helm', ['render', dir, '--env', 'hostile', '--helm', tools.helm, '--kubectl', tools.kubectl], tmp),
      () => runCli(bin, 'envs helm', ['envs', dir, '--format', 'json'], tmp),
    ],
    2,
  );
  table.push([
    'reconcile render (helm)',
    String(charts.length),
    '2',
    String([render, envs].filter((r) => crashed(r, [0, 1])).length),
    String([render, envs].filter((r) => r.hung).length),
    `${(Math.max(render.ms, envs.ms) / 1000).toFixed(1)} s`,
    mb(Math.max(render.maxRss ?? 0, envs.maxRss ?? 0)),
    `${charts.filter((c) => new RegExp(`^reconcile: hostile/${c.name}: .*`, 'm').test(render.stderr)).length}/${charts.length}`,
  ]);
  assert.ok(!crashed(render, [0, 1]) && !render.hung, `render: exit ${render.code} ${render.stderr.slice(0, 2000)}`);
  assert.ok(!crashed(envs, [0, 1]) && !envs.hung, `envs: exit ${envs.code} ${envs.stderr.slice(0, 2000)}`);
  const missing: string[] = [];
  for (const c of charts) {
    const line = new RegExp(`^reconcile: hostile/${c.name}: (.*)$`, 'm').exec(render.stderr)?.[1];
    if (!line || !c.render!.test(line)) missing.push(`${c.name}: expected ${c.render}, got ${line ?? '(nothing)'}`);
  }
  assert.deepEqual(missing, [], `charts without their specific message (stderr: ${render.stderr.slice(0, 3000)})`);
});
