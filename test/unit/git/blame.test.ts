// "changed by <author>, <n> days ago — <subject>" on real temporary repositories: the newest commit of
// each resource's lines, uncommitted lines, unsaved editor text, and one blame for a whole file
// (500 lines, 20 resources, whose time is printed as a diagnostic — never asserted).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { formatLastChange, GitRepoError, lastChangeOfRange, lastChangesOfRanges, openRepo, type LastChange } from '../../../src/core/git';
import { cleanupAll, TempRepo } from './temp-repo';

after(cleanupAll);

const RESOURCES = 20;
const LINES = 25; // per resource: 500 lines in all

/** Resource i occupies lines i*25+1 .. i*25+25; `values[i][k]` is its k-th data value. */
function render(values: number[][]): string {
  return values
    .map((vals, i) => {
      const head = ['---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: cm-${i}`, 'data:'];
      return [...head, ...vals.map((v, k) => `  key${k}: "${v}"`)].join('\n');
    })
    .join('\n') + '\n';
}

const ranges = Array.from({ length: RESOURCES }, (_, i) => ({ start: i * LINES + 1, end: i * LINES + LINES }));

describe('lastChangeOfRange', () => {
  // 1 commit creating everything, then 30 commits each changing one value of one resource.
  const r = TempRepo.init();
  const values = Array.from({ length: RESOURCES }, () => Array.from({ length: LINES - 6 }, () => 0));
  r.write('big.yaml', render(values));
  const created = r.commit('create 20 config maps', { author: 'Creator' });
  const last: string[] = Array.from({ length: RESOURCES }, () => created);
  const subjects: string[] = Array.from({ length: RESOURCES }, () => 'create 20 config maps');
  for (let k = 1; k <= 30; k++) {
    const i = (k * 7) % 13; // touches resources 0..12 only, some several times
    values[i][k % values[i].length] = k;
    r.write('big.yaml', render(values));
    subjects[i] = `bump cm-${i} (${k})`;
    last[i] = r.commit(subjects[i], { author: `Dev ${k}` });
  }

  test('each resource gets the newest commit of its own lines, one blame for the file', async (t) => {
    const repo = await openRepo(r.dir);
    const t0 = performance.now();
    const all = await lastChangesOfRanges(repo, r.path('big.yaml'), ranges);
    const batchMs = performance.now() - t0;
    assert.equal(all.length, RESOURCES);
    all.forEach((c, i) => {
      assert.equal(c.uncommittedLines, 0);
      assert.equal(c.commit?.hash, last[i], `cm-${i}`);
      assert.equal(c.commit?.subject, subjects[i]);
      assert.deepEqual(c.range, ranges[i]);
    });
    const t1 = performance.now();
    const singles: LastChange[] = [];
    for (const rg of ranges) singles.push(await lastChangeOfRange(repo, r.path('big.yaml'), rg.start, rg.end));
    const singleMs = performance.now() - t1;
    assert.deepEqual(singles, all);
    t.diagnostic(`500-line file, 20 resources: one batched blame ${batchMs.toFixed(1)} ms; 20 single-range blames ${singleMs.toFixed(1)} ms`);
  });

  test('uncommitted lines say "not committed yet"; unsaved editor text is blamed as the editor shows it', async () => {
    const repo = await openRepo(r.dir);
    const edited = values.map((v) => [...v]);
    edited[15][3] = 999;
    r.write('big.yaml', render(edited));
    try {
      const c = await lastChangeOfRange(repo, r.path('big.yaml'), ranges[15].start, ranges[15].end);
      assert.equal(c.uncommittedLines, 1);
      assert.equal(c.commit?.hash, last[15], 'the newest committed change is still known');
      assert.equal(formatLastChange(c), 'not committed yet');
      const other = await lastChangeOfRange(repo, r.path('big.yaml'), ranges[14].start, ranges[14].end);
      assert.equal(other.uncommittedLines, 0);
    } finally {
      r.git('checkout', '-q', '--', 'big.yaml');
    }
    // Three unsaved lines at the top shift every resource by 3 in the editor.
    const buffer = `# a\n# b\n# c\n${render(values)}`;
    const shifted = ranges.map((rg) => ({ start: rg.start + 3, end: rg.end + 3 }));
    const viaBuffer = await lastChangesOfRanges(repo, r.path('big.yaml'), [{ start: 1, end: 3 }, ...shifted], { contents: buffer });
    assert.equal(viaBuffer[0].uncommittedLines, 3);
    assert.equal(viaBuffer[0].commit, undefined);
    assert.deepEqual(viaBuffer.slice(1).map((c) => c.commit?.hash), last);
    assert.equal(r.read('big.yaml'), render(values), 'the file on disk is untouched');
  });

  test('an untracked file is entirely not committed; bad ranges are refused', async () => {
    const repo = await openRepo(r.dir);
    r.write('fresh.yaml', 'a: 1\nb: 2\n');
    const c = await lastChangeOfRange(repo, r.path('fresh.yaml'), 1, 2);
    assert.deepEqual(c, { range: { start: 1, end: 2 }, uncommittedLines: 2 });
    assert.equal(formatLastChange(c), 'not committed yet');
    const bad = (e: unknown) => e instanceof GitRepoError && e.kind === 'bad-input';
    await assert.rejects(lastChangeOfRange(repo, r.path('big.yaml'), 490, 501), bad);
    await assert.rejects(lastChangesOfRanges(repo, r.path('big.yaml'), [{ start: 3, end: 2 }]), bad);
  });
});

describe('commits made in the same second (a rebase, a script)', () => {
  test('the newest is the descendant, not whichever blame printed first', async () => {
    const r = TempRepo.init();
    const same = '2024-05-05T10:00:00Z';
    const lines = ['a: 0', 'b: 0', 'c: 0', 'd: 0'];
    r.write('s.yaml', lines.join('\n') + '\n');
    r.commit('create', { date: same });
    const order: string[] = [];
    // Change lines bottom-up so that blame lists the oldest of them first.
    for (const i of [3, 1, 2, 0]) {
      lines[i] = lines[i].replace('0', '1');
      r.write('s.yaml', lines.join('\n') + '\n');
      order.push(r.commit(`edit line ${i + 1}`, { date: same }));
    }
    const repo = await openRepo(r.dir);
    const c = await lastChangeOfRange(repo, r.path('s.yaml'), 1, 4);
    assert.equal(c.commit?.hash, order[order.length - 1]);
    const [top, bottom] = await lastChangesOfRanges(repo, r.path('s.yaml'), [{ start: 2, end: 4 }, { start: 3, end: 4 }]);
    assert.equal(top.commit?.hash, order[2], 'lines 2-4: "edit line 3" is the newest');
    assert.equal(bottom.commit?.hash, order[2]);
  });
});

describe('formatLastChange', () => {
  test('author, whole days since the author date, subject', async () => {
    const r = TempRepo.init();
    r.write('a.yaml', 'x: 1\n');
    r.commit('first version', { author: 'Grace Hopper', date: '2024-03-01T09:00:00Z' });
    r.write('a.yaml', 'x: 2\n');
    r.commit('raise x', { author: 'Alan Turing', date: '2024-03-05T18:00:00Z' });
    const repo = await openRepo(r.dir);
    const c = await lastChangeOfRange(repo, r.path('a.yaml'), 1, 1);
    assert.equal(c.commit?.author.name, 'Alan Turing');
    assert.equal(c.commit?.date, '2024-03-05T18:00:00.000Z');
    assert.equal(formatLastChange(c, new Date('2024-03-10T18:00:00Z')), 'changed by Alan Turing, 5 days ago — raise x');
    assert.equal(formatLastChange(c, new Date('2024-03-06T19:00:00Z')), 'changed by Alan Turing, 1 day ago — raise x');
    assert.equal(formatLastChange(c, new Date('2024-03-05T20:00:00Z')), 'changed by Alan Turing, today — raise x');
  });

  test('a long subject is cut with an ellipsis so that other lenses on the line stay visible', () => {
    const subject = 'examples/: a GitOps repository for the demo and the tests with three kustomize apps';
    const c: LastChange = { range: { start: 1, end: 1 }, uncommittedLines: 0, commit: { hash: 'a'.repeat(40), shortHash: 'aaaaaaa', subject, date: '2024-03-05T18:00:00.000Z', author: { name: 'Ada', email: 'a@x' }, time: Date.parse('2024-03-05T18:00:00Z'), committedTime: Date.parse('2024-03-05T18:00:00Z'), beyondHorizon: false } };
    const text = formatLastChange(c, new Date('2024-03-06T19:00:00Z'));
    assert.equal(text, `changed by Ada, 1 day ago — ${subject.slice(0, 47).trimEnd()}…`);
    assert.equal(formatLastChange(c, new Date('2024-03-06T19:00:00Z'), 200), `changed by Ada, 1 day ago — ${subject}`);
  });
});
