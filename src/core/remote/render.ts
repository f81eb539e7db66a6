// A helm render spec whose chart is remote (RenderSpec.remoteChart), made local: the chart resolved and
// pulled into the cache (chart.ts), its own values files found in it, and the spec pointed at it. Only
// in trusted workspaces: fetching runs the user's helm against the network with the user's credentials.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isRecord } from '../util/record';
import type { RenderSpec } from '../repo/model';
import type { RenderError } from '../render/types';
import type { RemoteCharts } from './chart';
import { describeChart } from './chart';
import { redact } from './redact';

type HelmSpec = Extract<RenderSpec, { kind: 'helm' }>;

export const UNTRUSTED_REMOTE = 'remote sources are fetched only in trusted workspaces';

export type LocalHelm =
  | {
      ok: true;
      spec: HelmSpec;
      /** The pulled chart's files: inputs of the render cache key (with the version and digest in their path). */
      inputs: string[];
      /** What was used; offline, since when. */
      note: string;
      offline: boolean;
    }
  | { ok: false; error: RenderError };

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Resolves `spec.remoteChart` into a spec over the pulled chart, or the one note that says why not. */
export async function localHelmSpec(spec: HelmSpec, ctx: { trusted: boolean; charts: RemoteCharts; helm: string | undefined; signal?: AbortSignal }): Promise<LocalHelm> {
  const ref = spec.remoteChart!;
  const what = describeChart(ref);
  const unavailable = (message: string): LocalHelm => ({ ok: false, error: { code: 'remote-unavailable', tool: 'helm', message: redact(message) } });
  if (!ctx.trusted) return unavailable(`chart ${what} is not fetched: ${UNTRUSTED_REMOTE}. Trust the workspace to render this application.`);
  if (!ctx.helm) return unavailable(`chart ${what} is not fetched: helm was not found`);
  const r = await ctx.charts.resolve(ref, ctx.helm, ctx.signal);
  if (!r.ok) return unavailable(r.message);
  const valueFiles: string[] = [];
  for (const f of ref.chartValueFiles ?? []) {
    const abs = path.resolve(r.chartDir, f);
    const rel = path.relative(r.chartDir, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return { ok: false, error: { code: 'invalid-argument', tool: 'helm', message: `values file "${f}" is outside the chart ${what}` } };
    if (!fs.existsSync(abs)) {
      if (ref.ignoreMissingValueFiles) continue;
      return { ok: false, error: { code: 'tool-failed', tool: 'helm', message: `values file "${f}" does not exist in chart ${describeChart({ ...ref, version: r.version })}` } };
    }
    valueFiles.push(abs);
  }
  // Flux: the listed files are the chart's values (values.yaml only when listed): defaults they do not set are dropped.
  let values = spec.values;
  if (ref.valuesFilesReplaceDefaults && valueFiles.length && !valueFiles.some((f) => path.resolve(f) === path.join(r.chartDir, 'values.yaml'))) {
    const read = (f: string): Record<string, unknown> => {
      try {
        const v: unknown = parseYaml(fs.readFileSync(f, 'utf8'));
        return isRecord(v) ? v : {};
      } catch {
        return {};
      }
    };
    const set = valueFiles.map(read).reduce(merge, {});
    const dropped = nulls(read(path.join(r.chartDir, 'values.yaml')), set);
    if (Object.keys(dropped).length) values = merge(dropped, values ?? {});
  }
  const { remoteChart: _remote, ...rest } = spec;
  const local: HelmSpec = {
    ...rest,
    ...(values && Object.keys(values).length ? { values } : {}),
    chartDir: r.chartDir,
    // The chart's own values files first, then the repository's ($values refs…), as Argo CD passes them in order.
    valueFiles: [...valueFiles, ...spec.valueFiles],
    origins: { ...(spec.origins ?? { root: path.dirname(r.chartDir) }), chartRoot: r.chartDir, valueFiles: [...valueFiles.map(() => null), ...(spec.origins?.valueFiles ?? spec.valueFiles.map(() => null))] },
  };
  return { ok: true, spec: local, inputs: filesUnder(r.chartDir), note: r.note, offline: r.offline !== undefined };
}

/** Helm's merge: mappings merge, anything else is replaced. */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isRecord(v) && isRecord(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Nulls (helm deletes a key set to null) for the defaults that `set` does not set. */
function nulls(defaults: Record<string, unknown>, set: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (!(k in set)) out[k] = null;
    else if (isRecord(v) && isRecord(set[k])) {
      const inner = nulls(v, set[k] as Record<string, unknown>);
      if (Object.keys(inner).length) out[k] = inner;
    }
  }
  return out;
}
