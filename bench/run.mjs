#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (with tsx) one after the other, collects their rows
// and prints one table of medians, ratios against the peer measured in the same run, and targets.
//   node bench/run.mjs [name-filter…]
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
const rows = [];
let failed = 0;
for (const f of files) {
  console.log(`\n▶ bench/${f}`);
  const code = await new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join('bench', f)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('BENCH ')) rows.push(JSON.parse(line.slice(6)));
        else console.log(`  ${line}`);
      }
    });
    p.on('exit', resolve);
  });
  if (code !== 0) {
    failed++;
    console.log(`  ✗ bench/${f} failed (exit ${code})`);
  }
}
const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : '—');
const table = rows.map((r) => ({
  bench: r.bench,
  metric: r.metric,
  median: `${fmt(r.value)} ${r.unit}`,
  ratio: r.ratio !== undefined ? `${fmt(r.ratio)}× (${r.ratioLabel})` : '',
  target: r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : '',
}));
const widths = ['bench', 'metric', 'median', 'ratio', 'target'].map((k) => Math.max(k.length, ...table.map((t) => t[k].length)));
const line = (t) => ['bench', 'metric', 'median', 'ratio', 'target'].map((k, i) => t[k].padEnd(widths[i])).join('  ');
console.log(`\n${line({ bench: 'bench', metric: 'metric', median: 'median', ratio: 'ratio', target: 'target' })}`);
console.log(widths.map((w) => '─'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'latest.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
process.exit(failed ? 1 : 0);
