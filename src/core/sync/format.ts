// Words for plans and sync results: `reconcile plan --format text|md|json` (and the Plan view's Markdown
// export), its exit code, and one line per sync result for the Output channel. Secret values never
// reach here: plan items carry masks only.
import * as path from 'node:path';
import type { DriftField } from '../drift/types';
import { formatValue } from '../drift/format';
import type { ResourceId } from '../manifest/identity';
import { conflictText } from './failures';
import type { KeptField } from './removals';
import type { Plan, PlanItem, SyncOutcome, SyncResult } from './types';
import { describe } from '../phase';

export interface PlanFormatOptions {
  /** Source files are shown relative to this folder. */
  root?: string;
  /** List unchanged resources one by one too (text). Default false: only their number. */
  unchanged?: boolean;
}

/** 0 nothing to change; 1 something to create, update or prune; 2 a dry-run failed (nothing was verified for it). */
export function planExitCode(plan: Pick<Plan, 'counts'>): 0 | 1 | 2 {
  if (plan.counts.failed > 0) return 2;
  return plan.counts.create + plan.counts.update + plan.counts.prune > 0 ? 1 : 0;
}

function label(id: Pick<ResourceId, 'kind' | 'namespace' | 'name'>): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `2 to create, 1 to update, 18 unchanged, 1 failed, 1 prune candidate` */
export function planSummary(plan: Pick<Plan, 'counts'>): string {
  const c = plan.counts;
  const parts = [`${c.create} to create`, `${c.update} to update`, `${c.unchanged} unchanged`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.skip) parts.push(`${c.skip} not run by sync`);
  parts.push(plural(c.prune, 'prune candidate'));
  return parts.join(', ');
}

/**
 * `spec.replicas: 5 → 2` (the cluster's value, then Git's), `data.password: changed (value hidden)`,
 * `metadata.labels.team: "ops" → ∅ (will be removed; now set by kubectl-label)`.
 */
export function planFieldLine(f: DriftField): string {
  const manager = f.manager && f.subresource ? `${f.manager} through /${f.subresource}` : f.manager;
  const who = manager && f.change !== 'missing' ? ` (${f.change === 'added' ? 'will be removed; ' : ''}now set by ${manager})` : f.change === 'added' ? ' (will be removed)' : '';
  if (f.masked) return `${f.path}: ${f.change === 'changed' ? 'changed' : f.change === 'missing' ? 'added' : 'removed'} (value hidden)${who}`;
  if (f.change === 'missing') return `${f.path}: ∅ → ${formatValue(f.desired)}`;
  if (f.change === 'added') return `${f.path}: ${formatValue(f.live)} → ∅${who}`;
  return `${f.path}: ${formatValue(f.live)} → ${formatValue(f.desired)}${who}`;
}

/** `metadata.labels.team: "ops" — cannot be restored by apply: owned by kubectl-label (the server …)` */
export function keptFieldLine(k: KeptField): string {
  const value = k.masked ? '(value hidden)' : k.live !== undefined ? formatValue(k.live) : '';
  return `${k.path}:${value ? ` ${value}` : ''} — cannot be restored by apply: owned by ${k.manager ?? 'no recorded field manager'} (${k.reason})`;
}

function failureLine(i: PlanItem): string {
  const f = i.failure;
  const msg = f?.serverMessage ?? f?.message ?? 'failed';
  return msg.replace(/\s*\n\s*/g, ' ');
}

function where(i: PlanItem, root?: string): string {
  if (!i.source) return '';
  const file = root ? path.relative(root, i.source.file) : i.source.file;
  return `${file}:${i.source.range.start.line + 1}`;
}

function headline(plan: Plan): string {
  const ctx = plan.context ? `context ${plan.context}` : plan.server;
  return `Plan for ${plan.environment} (${ctx}): ${planSummary(plan)}`;
}

/** Whether the plan has anything to say about phases: hooks, waves other than 0, objects a sync skips. */
function hasPhases(plan: Plan): boolean {
  return plan.items.some((i) => i.action !== 'prune' && (i.phase !== 'Sync' || i.hook || i.wave !== 0));
}

const SIGN: Record<PlanItem['action'], string> = { create: '+', update: '~', unchanged: '=', failed: '✗', prune: '-', skip: '⊘' };

/**
 * The items in the order a sync runs them, under their phase: PreSync, Sync wave by wave, PostSync,
 * SyncFail (only when the sync fails), then what a sync does not run (tests, delete and rollback hooks).
 */
export function phaseGroups(plan: Plan): Array<{ title: string; items: PlanItem[] }> {
  const groups: Array<{ title: string; items: PlanItem[] }> = [];
  const add = (title: string, item: PlanItem) => {
    const g = groups.find((x) => x.title === title);
    if (g) g.items.push(item);
    else groups.push({ title, items: [item] });
  };
  const desired = plan.items.filter((i) => i.action !== 'prune');
  for (const i of desired) {
    if (i.action === 'skip') continue;
    const wave = (t: string) => (i.wave !== 0 || desired.some((x) => x.phase === i.phase && x.wave !== 0) ? `${t}, wave ${i.wave}` : t);
    if (i.phase === 'PreSync') add(wave('PreSync'), i);
    else if (i.phase === 'Sync') add(wave('Sync'), i);
    else if (i.phase === 'PostSync') add(wave('PostSync'), i);
    else if (i.phase === 'SyncFail') add(wave('SyncFail (only when the sync fails)'), i);
  }
  for (const i of desired) if (i.action === 'skip' && i.phase === 'Test') add('Tests, not run by sync', i);
  for (const i of desired) if (i.action === 'skip' && i.phase !== 'Test') add('Not run by sync', i);
  return groups;
}

function phaseLine(i: PlanItem): string {
  const what = i.hook?.hook || i.phase !== 'Sync' ? ` — ${i.hook ? describe(i.hook) : i.phase}` : '';
  return `${SIGN[i.action]} ${label(i.id)}${what}`;
}

/** Why a sync skips the item, without repeating the description phaseLine() already shows. */
function skipWhy(i: PlanItem): string {
  const d = i.hook ? `${describe(i.hook)}: ` : '';
  return d && i.note?.startsWith(d) ? i.note.slice(d.length) : (i.note ?? '');
}

export function planText(plan: Plan, opts: PlanFormatOptions = {}): string {
  const lines: string[] = [headline(plan)];
  if (hasPhases(plan)) {
    lines.push('', 'Phases, in the order a sync runs them (health is not checked yet: each wave starts when the apply of the previous one returns):');
    for (const g of phaseGroups(plan)) {
      const changes = g.items.filter((i) => i.action !== 'unchanged' || i.hook?.hook);
      lines.push(`  ${g.title}`);
      for (const i of changes) {
        lines.push(`    ${phaseLine(i)}`);
        if (i.action === 'skip' && i.note) lines.push(`        ${skipWhy(i)}`);
      }
      const same = g.items.length - changes.length;
      if (same) lines.push(`    = ${plural(same, 'resource')} unchanged`);
    }
  }
  const failed = plan.items.filter((i) => i.action === 'failed');
  if (failed.length) {
    lines.push('', `DRY-RUN FAILED for ${plural(failed.length, 'resource')}: a sync applies nothing until ${failed.length === 1 ? 'it is' : 'they are'} fixed (or the others are applied on purpose).`);
    for (const i of failed) {
      lines.push(`✗ failed   ${label(i.id)}: ${failureLine(i)}`);
      if (i.note) lines.push(`      ${i.note}`);
      const src = where(i, opts.root);
      if (src) lines.push(`      defined at ${src}`);
    }
  }
  const changes = plan.items.filter((i) => i.action === 'create' || i.action === 'update' || i.action === 'prune');
  if (changes.length) lines.push('');
  for (const i of changes) {
    if (i.action === 'create') {
      lines.push(`+ create   ${label(i.id)}`);
      if (i.note) lines.push(`      ${i.note}`);
    } else if (i.action === 'update') {
      lines.push(`~ update   ${label(i.id)}`);
      for (const f of i.fields ?? []) lines.push(`      ${planFieldLine(f)}`);
      for (const k of i.kept ?? []) lines.push(`      ! ${keptFieldLine(k)}`);
      if (i.conflicts?.length) lines.push(`      ! conflict: ${conflictText(i.conflicts)} — a sync takes these fields over only with force`);
    } else {
      lines.push(`- prune    ${label(i.id)}`);
      lines.push(`      not in Git; owned by ${plan.environment} (${i.ownership}); deleted only when pruning is confirmed`);
    }
  }
  const unchanged = plan.items.filter((i) => i.action === 'unchanged');
  if (unchanged.length) {
    lines.push('');
    // Unchanged by a sync, yet not as in Git: the fields it cannot restore are always listed.
    for (const i of unchanged) {
      if (!opts.unchanged && !i.kept?.length) continue;
      lines.push(`= unchanged ${label(i.id)}`);
      for (const k of i.kept ?? []) lines.push(`      ! ${keptFieldLine(k)}`);
    }
    if (!opts.unchanged) lines.push(`= ${plural(unchanged.length, 'resource')} unchanged`);
  }
  if (plan.warnings.length) {
    lines.push('');
    for (const w of plan.warnings) lines.push(`warning: ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Inline code that survives backticks inside. */
function code(s: string): string {
  const text = s.replace(/\s*\n\s*/g, ' ');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

function mdText(s: string): string {
  return s.replace(/([\\*_[\]<>|#])/g, '\\$1').replace(/\s*\n\s*/g, ' ');
}

export function planMarkdown(plan: Plan, opts: PlanFormatOptions = {}): string {
  const c = plan.counts;
  const lines: string[] = [`## Plan: ${mdText(plan.environment)}${plan.context ? ` (${code(plan.context)})` : ''}`, ''];
  lines.push(`Server-side dry-run of ${plural(c.total, 'resource')} against ${code(plan.server)}, ${new Date(plan.createdAt).toISOString()}.`, '');
  lines.push('| create | update | unchanged | failed | prune candidates |', '| ---: | ---: | ---: | ---: | ---: |');
  lines.push(`| ${c.create} | ${c.update} | ${c.unchanged} | ${c.failed} | ${c.prune} |`, '');
  const section = (title: string, items: PlanItem[], body: (i: PlanItem) => string[]) => {
    if (!items.length) return;
    lines.push(`### ${title}`, '');
    for (const i of items) lines.push(...body(i));
    lines.push('');
  };
  const src = (i: PlanItem) => (i.source ? ` — ${code(where(i, opts.root))}` : '');
  section(`❌ Dry-run failed (${c.failed}): nothing is synced until fixed`, plan.items.filter((i) => i.action === 'failed'), (i) => [
    `- **${mdText(label(i.id))}**${src(i)}`,
    `  - ${code(failureLine(i))}`,
    ...(i.note ? [`  - ${mdText(i.note)}`] : []),
  ]);
  section(`Create (${c.create})`, plan.items.filter((i) => i.action === 'create'), (i) => [`- ${mdText(label(i.id))}${i.note ? ` — ${mdText(i.note)}` : ''}`]);
  section(`Update (${c.update})`, plan.items.filter((i) => i.action === 'update'), (i) => [
    `- **${mdText(label(i.id))}**`,
    ...(i.fields ?? []).map((f) => `  - ${code(planFieldLine(f))}`),
    ...(i.kept ?? []).map((k) => `  - ⚠ ${code(keptFieldLine(k))}`),
    ...(i.conflicts?.length ? [`  - ⚠ conflict: ${mdText(conflictText(i.conflicts))} (taken over only with force)`] : []),
  ]);
  if (hasPhases(plan)) {
    lines.push('### Phases', '', 'In the order a sync runs them. Health is not checked yet: each wave starts when the apply of the previous one returns.', '');
    for (const g of phaseGroups(plan)) {
      lines.push(`- **${mdText(g.title)}**`);
      for (const i of g.items) lines.push(`  - ${mdText(phaseLine(i))}${i.action === 'skip' && i.note ? ` — ${mdText(skipWhy(i))}` : ''}`);
    }
    lines.push('');
  }
  section(`Prune candidates (${c.prune}): deleted only when confirmed`, plan.items.filter((i) => i.action === 'prune'), (i) => [`- ${mdText(label(i.id))} — ${mdText(i.ownership ?? '')}`]);
  const unchanged = plan.items.filter((i) => i.action === 'unchanged');
  if (unchanged.length) {
    lines.push(`<details><summary>Unchanged (${unchanged.length})</summary>`, '');
    for (const i of unchanged) lines.push(`- ${mdText(label(i.id))}`, ...(i.kept ?? []).map((k) => `  - ⚠ ${code(keptFieldLine(k))}`));
    lines.push('', '</details>', '');
  }
  for (const w of plan.warnings) lines.push(`> ⚠ ${mdText(w)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

export function planJson(plan: Plan, opts: PlanFormatOptions = {}): string {
  return `${JSON.stringify(
    {
      environment: plan.environment,
      context: plan.context,
      server: plan.server,
      createdAt: new Date(plan.createdAt).toISOString(),
      durationMs: Math.round(plan.durationMs),
      requests: plan.requests,
      exitCode: planExitCode(plan),
      counts: plan.counts,
      items: plan.items.map((i) => ({
        key: i.key,
        resource: i.id,
        action: i.action,
        ...(i.application ? { application: i.application } : {}),
        ...(i.source ? { source: where(i, opts.root) } : {}),
        wave: i.wave,
        phase: i.phase,
        ...(i.hook ? { hook: { phases: i.hook.phases, hook: i.hook.hook, weight: i.hook.weight, deletePolicy: i.hook.deletePolicy, engine: i.hook.engine, ...(i.hook.helmEvents ? { helmEvents: i.hook.helmEvents } : {}) } } : {}),
        ...(i.fields ? { fields: i.fields.map(({ segments: _s, ...f }) => f) } : {}),
        ...(i.kept ? { kept: i.kept } : {}),
        ...(i.conflicts ? { conflicts: i.conflicts } : {}),
        ...(i.failure ? { failure: i.failure } : {}),
        ...(i.note ? { note: i.note } : {}),
        ...(i.ownership ? { ownership: i.ownership } : {}),
      })),
      warnings: plan.warnings,
    },
    null,
    2,
  )}\n`;
}

const STATUS_ICON: Record<SyncResult['status'], string> = { applied: '✓', unchanged: '=', failed: '✗', skipped: '⊘', cancelled: '■', pruned: '−' };

/** One line per result for the Output channel: `✓ applied   Deployment shop-dev/api (updated)`. */
export function syncResultLine(r: SyncResult): string {
  const extra = r.conflicts?.length ? ` — conflict: ${conflictText(r.conflicts)}` : '';
  const msg = r.failure ? `: ${(r.failure.serverMessage ?? r.failure.message).replace(/\s*\n\s*/g, ' ')}` : r.message ? ` (${r.message})` : '';
  return `${STATUS_ICON[r.status]} ${r.status.padEnd(9)} ${label(r.id)}${msg}${extra}${r.uncertain ? ' — may or may not have reached the cluster' : ''}`;
}

/** The notes of a sync (between phases and waves), one per line: `note: wave 1 applied; …`. */
export function syncNotes(o: Pick<SyncOutcome, 'notes'>): string[] {
  return (o.notes ?? []).map((n) => `note: ${n}`);
}

/** `sync of dev: 3 applied, 18 unchanged, 1 failed … in 1.2 s (25 requests)` */
export function syncSummary(environment: string, o: SyncOutcome): string {
  const parts = (Object.keys(o.counts) as Array<keyof SyncOutcome['counts']>).filter((k) => o.counts[k] > 0).map((k) => `${o.counts[k]} ${k}`);
  return `sync of ${environment}: ${o.outcome}${o.reason ? ` — ${o.reason}` : ''}; ${parts.join(', ') || 'nothing done'} in ${(o.durationMs / 1000).toFixed(1)} s (${plural(o.requests.total, 'request')})`;
}
