// A realistic Git history for a copy of examples/ (the demo's workspace, and the metrics test): about
// six months of pull requests merged with merge commits, image bumps promoted dev → staging → prod,
// replica changes, one revert, one hotfix on prod, authors and times that vary. Deterministic (seeded),
// dated back from `now`. The last commit leaves every file exactly as examples/ has it, so the demo
// renders what the tests render.
//
//   writeHistory(dir, { now, seed })   dir: a copy of examples/ without .git
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const AUTHORS = [
  ['Alice Martin', 'alice@shop.example.com'],
  ['Bilal Haddad', 'bilal@shop.example.com'],
  ['Chen Wei', 'chen@shop.example.com'],
  ['Dana Kowalski', 'dana@shop.example.com'],
];
const ENV_ORDER = ['dev', 'staging', 'prod'];

/** A small deterministic generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function files(dir) {
  const out = [];
  (function walk(d) {
    for (const n of readdirSync(d)) {
      if (n === '.git') continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  })(dir);
  return out.sort();
}

/**
 * The lines whose values the history moves: image tags and replica counts of the overlays and the
 * chart's per-environment values. Each gets a run of earlier values that ends at the value examples/ has.
 */
function trackedLines(dir) {
  const tracked = [];
  for (const file of files(dir)) {
    const rel = relative(dir, file);
    const env = ENV_ORDER.find((e) => rel.includes(`/overlays/${e}/`) || rel.endsWith(`values-${e}.yaml`));
    if (!env) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const tag = /^(\s*(?:newTag|tag):\s*)("?)([^"\s#]+)("?)(.*)$/.exec(line);
      const count = /^(\s*(?:count|replicas|replicaCount):\s*)(\d+)(.*)$/.exec(line);
      if (tag && tag[3] !== 'latest') tracked.push({ rel, env, index: i, kind: 'tag', prefix: tag[1], quote: tag[2], final: tag[3], suffix: tag[5] });
      else if (count) tracked.push({ rel, env, index: i, kind: 'count', prefix: count[1], final: count[2], suffix: count[3] });
    });
  }
  return tracked;
}

/** The earlier values of a tracked line, oldest first, then its final value. */
function runOf(t, steps, random) {
  if (t.kind === 'count') {
    // Each value differs from the one before it (and the last from the final one).
    const final = Number(t.final);
    const values = [];
    for (let i = 0; i < steps; i++) {
      const prev = i ? Number(values[i - 1]) : -1;
      let v = Math.max(1, final + Math.round((random() - 0.5) * 4));
      while (v === prev || (i === steps - 1 && v === final)) v++;
      values.push(String(v));
    }
    return [...values, t.final];
  }
  // 2.5.0-dev.14 → 2.1.0, 2.2.0, … (a plain semver run below the final one).
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(t.final);
  const major = m ? Number(m[1]) : 1;
  const minor = m ? Number(m[2]) : steps;
  const values = [];
  for (let i = 0; i < steps; i++) values.push(`${major}.${Math.max(0, minor - steps + i)}.${i % 3}`);
  return [...values, t.final];
}

export function writeHistory(dir, { now = Date.now(), seed = 7, weeks = 26 } = {}) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const env0 = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const git = (args, { at, who = AUTHORS[0], committedAt } = {}) => {
    const env = { ...env0 };
    if (at !== undefined) {
      env.GIT_AUTHOR_DATE = new Date(at).toISOString();
      env.GIT_COMMITTER_DATE = new Date(committedAt ?? at).toISOString();
    }
    env.GIT_AUTHOR_NAME = who[0];
    env.GIT_AUTHOR_EMAIL = who[1];
    env.GIT_COMMITTER_NAME = who[0];
    env.GIT_COMMITTER_EMAIL = who[1];
    return execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  };

  const tracked = trackedLines(dir);
  const steps = 6;
  const runs = tracked.map((t) => ({ t, values: runOf(t, steps, random), at: 0 }));
  const texts = new Map();
  const write = () => {
    for (const rel of new Set(runs.map((r) => r.t.rel))) {
      const lines = readFileSync(join(dir, rel), 'utf8').split('\n');
      for (const r of runs.filter((x) => x.t.rel === rel)) {
        const v = r.values[r.at];
        lines[r.t.index] = r.t.kind === 'tag' ? `${r.t.prefix}${r.t.quote}${v}${r.t.quote}${r.t.suffix}` : `${r.t.prefix}${v}${r.t.suffix}`;
      }
      texts.set(rel, lines.join('\n'));
      writeFileSync(join(dir, rel), lines.join('\n'));
    }
  };
  const start = now - weeks * 7 * DAY;
  git(['init', '-q', '-b', 'main']);
  git(['remote', 'add', 'origin', 'https://git.example.com/shop/gitops.git']);
  write();
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'Import the shop GitOps repository'], { at: start, who: AUTHORS[0] });

  let pr = 100;
  let clock = start + DAY;
  let reverted = false;
  let hotfixed = false;
  /** One pull request: a branch with 1–3 commits over `lead` hours, merged with a merge commit. */
  const pullRequest = (title, changes, { lead, who }) => {
    const branch = `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${pr}`;
    git(['checkout', '-q', '-b', branch]);
    const commits = Math.min(changes.length, 1 + Math.floor(random() * 3));
    let t = clock;
    changes.forEach((r, i) => {
      r.at++;
      write();
      if (i === changes.length - 1 || (i + 1) % Math.ceil(changes.length / commits) === 0) {
        git(['add', '-A']);
        git(['commit', '-q', '-m', i === changes.length - 1 ? title : `${title} (wip)`], { at: t, who });
        t += Math.max(HOUR / 4, (lead / commits) * random());
      }
    });
    git(['checkout', '-q', 'main']);
    const mergedAt = clock + lead;
    git(['merge', '-q', '--no-ff', branch, '-m', `Merge pull request #${pr} from shop/${branch}`, '-m', title], { at: mergedAt, who: AUTHORS[0] });
    git(['branch', '-q', '-D', branch]);
    pr++;
    return mergedAt;
  };

  // Every run advances to its final value: spread the steps over the weeks, dev first, prod last.
  const pending = runs.flatMap((r) => Array.from({ length: steps }, (_, i) => ({ r, step: i, order: i * 3 + ENV_ORDER.indexOf(r.t.env) })));
  pending.sort((a, b) => a.order - b.order || a.r.t.rel.localeCompare(b.r.t.rel));
  const total = pending.length;
  for (let w = 0; w < weeks - 1 && pending.length; w++) {
    clock = start + (w + 1) * 7 * DAY + Math.floor(random() * 2 * DAY);
    // An even share of the steps each week, so the history runs up to this week.
    const batch = pending.splice(0, Math.floor(((w + 1) * total) / (weeks - 1)) - (total - pending.length));
    // Group the week's steps into pull requests of one environment each.
    const byEnv = new Map();
    for (const p of batch) byEnv.set(p.r.t.env, [...(byEnv.get(p.r.t.env) ?? []), p.r]);
    for (const [env, list] of [...byEnv].sort(([a], [b]) => ENV_ORDER.indexOf(a) - ENV_ORDER.indexOf(b))) {
      const apps = [...new Set(list.map((r) => r.t.rel.split('/')[1] ?? r.t.rel))].join(', ');
      const what = list.every((r) => r.t.kind === 'count') ? 'scale' : env === 'dev' ? 'bump' : 'promote';
      const lead = (env === 'prod' ? 20 : env === 'staging' ? 8 : 2) * HOUR * (0.5 + random());
      const who = pick(AUTHORS);
      const mergedAt = pullRequest(`${what} ${apps} in ${env}`, list, { lead, who });
      clock = mergedAt + HOUR;
      // Once: a promotion to staging goes bad and is reverted the next morning, then promoted again.
      if (!reverted && env === 'staging' && w > 4) {
        reverted = true;
        const merge = git(['rev-parse', 'HEAD']);
        git(['revert', '--no-edit', '-m', '1', merge], { at: mergedAt + 14 * HOUR, who: pick(AUTHORS) });
        for (const r of list) r.at--;
        clock = mergedAt + 2 * DAY;
        pullRequest(`promote ${apps} in staging again`, list, { lead: 6 * HOUR, who });
      }
      // Once: a prod change needs a hotfix, committed straight to main.
      if (!hotfixed && env === 'prod' && w > 8) {
        hotfixed = true;
        const r = list[0];
        const file = join(dir, r.t.rel);
        writeFileSync(file, `${texts.get(r.t.rel)}\n`);
        git(['add', '-A']);
        git(['commit', '-q', '-m', `fix: hotfix ${r.t.rel.split('/')[1] ?? 'prod'} in prod`], { at: mergedAt + 3 * HOUR, who: pick(AUTHORS) });
        writeFileSync(file, texts.get(r.t.rel));
        git(['add', '-A']);
        git(['commit', '-q', '-m', `fix: tidy the prod hotfix of ${r.t.rel.split('/')[1] ?? 'prod'}`], { at: mergedAt + 5 * HOUR, who: pick(AUTHORS) });
      }
    }
  }
  // Whatever is left (a run set back by the revert) lands in a final pull request; then the tree is examples/.
  const behind = runs.filter((r) => r.at < r.values.length - 1);
  if (behind.length) {
    clock = Math.min(now - DAY, clock + DAY);
    for (const r of behind) r.at = r.values.length - 2;
    pullRequest('catch up the remaining promotions', behind, { lead: 4 * HOUR, who: pick(AUTHORS) });
  }
  return { commits: Number(git(['rev-list', '--count', 'HEAD'])), pullRequests: pr - 100 };
}
