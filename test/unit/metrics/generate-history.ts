// A large synthetic history for the metrics' streaming tests and bench, written with `git fast-import`
// (seconds for tens of thousands of commits): pull requests of 1–3 commits merged with merge commits,
// direct commits, fixes ("Fix …" touching the file the previous change touched) and reverts
// ("This reverts commit <sha>", the sha asked from fast-import with get-mark) across three
// environments and a shared base. One commit every 10 minutes from `start`.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitAt } from './synthetic-repo';

export interface GeneratedHistory {
  dir: string;
  commits: number;
  changes: number;
  /** Committer time of the first and last commit, ms. */
  first: number;
  last: number;
}

export const GENERATED_ENVIRONMENTS = { dev: ['envs/dev', 'base'], staging: ['envs/staging', 'base'], prod: ['envs/prod', 'base'] };

/** Writes about `commits` commits into a new repository (branch main). */
export async function generateHistory(commits: number, opts: { start?: number; dir?: string } = {}): Promise<GeneratedHistory> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'reconcile-history-'));
  gitAt(dir, undefined, ['init', '-q', '-b', 'main']);
  const child = spawn('git', ['fast-import', '--quiet', '--cat-blob-fd=3', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const back = child.stdio[3] as NodeJS.ReadableStream;
  let pending = '';
  const waiters: Array<(line: string) => void> = [];
  back.setEncoding('utf8');
  back.on('data', (d: string) => {
    pending += d;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      waiters.shift()?.(line);
    }
  });
  const input = child.stdin!;
  let chunk = '';
  const flush = async () => {
    if (!chunk) return;
    const text = chunk;
    chunk = '';
    if (!input.write(text)) await new Promise((r) => input.once('drain', r));
  };
  const out = (s: string) => {
    chunk += s;
  };
  const shaOf = async (mark: number): Promise<string> => {
    out(`get-mark :${mark}\n`);
    const p = new Promise<string>((r) => waiters.push(r));
    await flush();
    return p;
  };

  const start = opts.start ?? Date.parse('2023-01-02T00:00:00Z');
  let time = start / 1000;
  let mark = 0;
  let mainMark = 0;
  let count = 0;
  let changes = 1; // the initial layout feeds every environment: a change too
  const envs = ['dev', 'staging', 'prod'];
  const who = 'Gen <gen@example.com>';
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const file = (p: string, content: string) => `M 100644 inline ${p}\n${data(content)}`;
  const cm = (name: string, v: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${v}"\n`;
  const pathOf = (i: number) => (i % 11 === 0 ? `base/shared-${i % 4}.yaml` : `envs/${envs[i % 3]}/app-${i % 17}.yaml`);
  let lastPath = pathOf(1);
  let lastMainSha: string | undefined;

  const commit = (ref: string, message: string, from: number | undefined, merge: number | undefined, mods: string) => {
    mark++;
    time += 600;
    count++;
    out(`commit ${ref}\nmark :${mark}\nauthor ${who} ${time} +0000\ncommitter ${who} ${time} +0000\n${data(message)}${from ? `from :${from}\n` : ''}${merge ? `merge :${merge}\n` : ''}${mods}\n`);
    return mark;
  };

  mainMark = commit('refs/heads/main', 'Initial layout', undefined, undefined, envs.map((e) => file(`envs/${e}/app-0.yaml`, cm(`${e}-app`, 0))).join('') + file('base/shared-0.yaml', cm('shared', 0)) + file('README.md', '# generated\n'));
  for (let i = 1; count < commits; i++) {
    changes++;
    const p = i % 13 === 0 ? lastPath : pathOf(i);
    if (i % 40 === 0 && lastMainSha) {
      // A revert of the previous change, committed directly.
      mainMark = commit('refs/heads/main', `Revert "change ${i - 1}"\n\nThis reverts commit ${lastMainSha}.\n`, mainMark, undefined, file(lastPath, cm('reverted', i)));
    } else if (i % 5 === 0) {
      mainMark = commit('refs/heads/main', i % 13 === 0 ? `Fix change ${i}` : `Direct change ${i}`, mainMark, undefined, file(p, cm(`c${i}`, i)));
    } else {
      const n = 1 + (i % 3);
      let tip = mainMark;
      let mods = '';
      for (let k = 0; k < n; k++) {
        const m = file(p, cm(`c${i}`, i * 10 + k));
        tip = commit(`refs/heads/topic-${i % 8}`, `Work ${i}.${k}`, tip, undefined, m);
        mods = m;
      }
      mainMark = commit('refs/heads/main', `Merge pull request #${i} from org/topic-${i}\n\n${i % 13 === 0 ? 'Fix' : 'Change'} ${i}\n`, mainMark, tip, mods);
    }
    lastPath = p;
    if ((i + 1) % 40 === 0) lastMainSha = await shaOf(mainMark);
    if (chunk.length > 1 << 20) await flush();
  }
  out('done\n');
  await flush();
  input.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import exited with ${code}`);
  gitAt(dir, undefined, ['checkout', '-q', '-f', 'main']);
  return { dir, commits: count, changes, first: start + 600_000, last: time * 1000 };
}

// As a script (the bench generates in a separate process, so that its own memory is not counted):
//   node --import tsx test/unit/metrics/generate-history.ts <commits>  → one JSON line
if (require.main === module) {
  generateHistory(Number(process.argv[2] ?? 10_000)).then(
    (h) => process.stdout.write(`${JSON.stringify(h)}\n`),
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
