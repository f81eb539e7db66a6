// `reconcile check` end to end, as CI runs it: a generated repository of 10,000 resources in 500
// files (Deployments, Services, ConfigMaps) plus the examples' ValidatingAdmissionPolicies, schema
// AND policy checks together, every rule on. Prints wall time, resources/s (target ≥ 5,000/s on 2
// cores) for the first run of the process (CI's case: schemas loaded and validators compiled) and
// for the runs after it, CPU time, and peak memory. Then the language server's case: the
// incremental cost of one edit in an open file, schema + policy (target ≤ 15 ms), as the server
// does it — the file parsed once for both engines, the unchanged documents taken from the previous
// version's parse, the policy results of unchanged objects reused — against a parse of the whole
// file for every edit (parse once, no reuse) and each engine parsing it on its own. kubeconform on
// the same corpus, whole process beside whole process, is measured in bench/peers.bench.ts.
//   node bench/run.mjs check        (RECONCILE_BENCH_RUNS runs after the first, default 3)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main';
import { SchemaChecks } from '../src/core/check/file-checks';
import { loadPolicyContext } from '../src/core/check/policy-context';
import { ParsedText } from '../src/core/manifest/parsed-text';
import { checkFile, PolicyFileCache } from '../src/core/policy';
import { CHECK_FILES, CHECK_PER_FILE, writeCheckCorpus } from './corpus';
import { median, report, type BenchRow } from './lib';

const FILES = CHECK_FILES;
const PER_FILE = CHECK_PER_FILE;
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 3);

type EditMode = 'reuse' | 'once' | 'alone';

/**
 * The language server's work for one keystroke in an open file (src/server/server.ts validate()):
 * schema checks (re-validating the edited document) and every policy rule. p50 over 60 edits,
 * each a new value in one document, in three ways: `reuse` as the server does it (a ParsedText
 * chained to the previous version's, one PolicyFileCache for the file), `once` the file parsed
 * once for both engines but from scratch, `alone` each engine parsing it on its own.
 */
function editCost(dir: string, file: string, base = readFileSync(file, 'utf8')): Record<EditMode, number> {
  const policy = loadPolicyContext(dir);
  const run = (mode: EditMode) => {
    const checks = new SchemaChecks({});
    const cache = new PolicyFileCache();
    let previous: ParsedText | undefined;
    const check = (text: string) => {
      const parsed = mode === 'alone' ? undefined : new ParsedText(text, mode === 'reuse' ? previous : undefined);
      previous = parsed;
      return checks.check(file, text, parsed).length + checkFile(file, text, policy.options, parsed, mode === 'reuse' ? cache : undefined).length;
    };
    check(base); // the file was opened: every document validated once
    for (let i = 0; i < 20; i++) check(base.replace('LOG_LEVEL: info', `LOG_LEVEL: warm-${i}`));
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      const text = base.replace('LOG_LEVEL: info', `LOG_LEVEL: info-${i}`); // never a cache hit on the edited document
      const t0 = performance.now();
      const findings = check(text);
      samples.push(performance.now() - t0);
      if (findings !== 0) throw new Error(`the edit produced ${findings} finding(s)`);
    }
    return median(samples);
  };
  const alone = run('alone');
  const once = run('once');
  const reuse = run('reuse');
  return { reuse, once, alone };
}

async function main_(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-check-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const n = writeCheckCorpus(dir);

    const times: number[] = [];
    const cpu: number[] = [];
    let code = -1;
    for (let r = 0; r <= RUNS; r++) {
      const t0 = performance.now(); // no forced GC between runs: it makes the next run slower, unlike CI's one run
      const c0 = process.cpuUsage();
      code = await main(['check', dir, '--fail-on', 'never'], { out: sink, err: process.stderr, env: process.env, cwd: dir });
      const c = process.cpuUsage(c0);
      times.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
      if (code !== 0) throw new Error(`reconcile check exited ${code}`);
    }
    console.log(`runs (ms wall / ms CPU): ${times.map((t, i) => `${t.toFixed(0)}/${cpu[i].toFixed(0)}`).join(', ')}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const rssMiB = process.resourceUsage().maxRSS / 1024; // before the edit measurements below
    const cold = times[0];
    const ms = median(times.slice(1));
    const coldPerSecond = n / (cold / 1000);
    const perSecond = n / (ms / 1000);
    const edit = editCost(dir, join(dir, 'team-7', 'app-7.yaml'));
    // a big open file: 25 of the generated files in one (500 resources, ≈10,000 lines)
    const bigText = Array.from({ length: 25 }, (_, f) => readFileSync(join(dir, `team-${f % 10}`, `app-${f}.yaml`), 'utf8')).join('---\n');
    writeFileSync(join(dir, 'big.yaml'), bigText);
    const big = editCost(dir, join(dir, 'big.yaml'), bigText);
    const rows: BenchRow[] = [
      { bench: 'check', metric: `reconcile check, ${n} resources in ${FILES} files (schema + policy), first run`, value: cold, unit: 'ms' },
      { bench: 'check', metric: 'throughput of the first run (loads schemas, compiles validators: CI)', value: coldPerSecond, unit: 'resources/s', target: '≥ 5,000/s', ok: coldPerSecond >= 5000 },
      { bench: 'check', metric: `reconcile check, later runs (median of ${RUNS})`, value: ms, unit: 'ms' },
      { bench: 'check', metric: 'throughput, schema + policy together', value: perSecond, unit: 'resources/s', target: '≥ 5,000/s', ok: perSecond >= 5000 },
      { bench: 'check', metric: 'CPU time of a later run (user+system, incl. GC)', value: median(cpu.slice(1)), unit: 'ms' },
      { bench: 'check', metric: `one edit in an open file (${PER_FILE} resources), schema + policy, p50`, value: edit.reuse, unit: 'ms', target: '≤ 15 ms', ok: edit.reuse <= 15, ratio: edit.once / edit.reuse, ratioLabel: `parse once, no reuse (${edit.once.toFixed(2)} ms; each engine on its own ${edit.alone.toFixed(2)} ms) ÷ reuse` },
      { bench: 'check', metric: `one edit in an open file (${25 * PER_FILE} resources, ${bigText.split('\n').length} lines), p50`, value: big.reuse, unit: 'ms', target: '≤ 15 ms', ok: big.reuse <= 15, ratio: big.once / big.reuse, ratioLabel: `parse once, no reuse (${big.once.toFixed(2)} ms; each engine on its own ${big.alone.toFixed(2)} ms) ÷ reuse` },
      { bench: 'check', metric: 'peak RSS of the process after the check runs (maxRSS)', value: rssMiB, unit: 'MiB' },
    ];
    report(rows, `first run, then the median of ${RUNS} runs in the same process`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main_().catch((e) => {
  console.error(e);
  process.exit(1);
});
