// The render cache: a result is kept under a key made of the content of every input file, the
// tool (path and version) and the spec, so an unchanged application is never rendered twice and
// any edit (or a tool upgrade) renders again.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { RenderResult, RenderSpec, ToolInfo } from './types';

/** A stable JSON: object keys sorted, so equal specs give equal keys. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** sha256 over the spec, the tool and each input file's path and content (missing files count as such). */
export async function renderCacheKey(spec: RenderSpec, tool: Pick<ToolInfo, 'path' | 'version'> | undefined, inputs: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(`spec\0${stableJson(spec)}\0tool\0${tool?.path ?? ''}\0${tool?.version ?? ''}\0`);
  const files = [...new Set(inputs)].sort();
  const contents = await Promise.all(files.map((f) => fs.readFile(f).catch(() => undefined)));
  files.forEach((f, i) => {
    const c = contents[i];
    h.update(`file\0${f}\0`);
    if (c) h.update(createHash('sha256').update(c).digest());
    else h.update('<missing>');
  });
  return h.digest('hex');
}

/** Least-recently-used results, by key. */
export class RenderCache {
  private readonly entries = new Map<string, RenderResult>();

  constructor(readonly maxEntries = 200) {}

  get(key: string): RenderResult | undefined {
    const r = this.entries.get(key);
    if (r) {
      this.entries.delete(key);
      this.entries.set(key, r);
    }
    return r;
  }

  set(key: string, r: RenderResult): void {
    this.entries.delete(key);
    this.entries.set(key, r);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
