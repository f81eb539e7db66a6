// "Accept Live into Git": the edits that write a drifted object's live values into the file and line
// that set them in Git (a base document, an overlay's `replicas:`/`images:` entry, a patch), as the
// render's source map and the policy locator know them. Pure: the editor applies the edits as unsaved
// changes the user reviews and saves.
//
// What is never written: Secret data (masked values are never known), fields that exist only on one
// side (adding or removing structure is the user's call), and values whose line does not hold Git's
// value as a plain scalar (a template expression, a value computed by a generator): those are listed
// with why, and the user is taken to the line.
import { parseImage } from '../manifest/image';
import { RenderedLocator, SourceFiles, type RenderedObjectInfo } from '../policy/locate';
import type { SourceLocation, SourceRange } from '../manifest/range';
import type { DriftResult } from './types';
import type { FieldPath } from './paths';

export interface AcceptEdit {
  file: string;
  range: SourceRange;
  newText: string;
  /** The drifted field (`spec.replicas`) and the values, for the summary. */
  field: string;
  from: string;
  to: string;
}

export interface AcceptPlan {
  edits: AcceptEdit[];
  /** Fields not written, and why; `at` is where Git sets it, when known. */
  skipped: Array<{ field: string; why: string; at?: SourceLocation }>;
}

/** Plain path (indexes, no keyed list items) of a drift field path. */
function plainPath(segments: FieldPath): Array<string | number> {
  return segments.map((s) => (typeof s === 'string' ? s : s.index));
}

/** A scalar as YAML writes it in a plain position: `5`, `true`, `web:1.2`, `"yes"` when it would read otherwise. */
export function yamlScalar(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return undefined;
  // Plain unless YAML (1.1 or 1.2) would read it as something else: a bool, null, a number.
  const readsOtherwise = /^(true|false|yes|no|y|n|on|off|null|~|\.inf|-\.inf|\.nan)$/i.test(v) || /^[-+]?(\d[\d_]*|\d*\.\d+|\d+\.\d*)([eE][-+]?\d+)?$/.test(v) || /^0[xo][0-9a-f]+$/i.test(v);
  const plain = /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@:+ -]*$/.test(v) && !readsOtherwise && !/\s$/.test(v) && !/: /.test(v);
  return plain ? v : JSON.stringify(v);
}

/** The text of a range (one line or several). */
function textAt(text: string, r: SourceRange): string {
  const lines = text.split('\n');
  if (r.start.line === r.end.line) return (lines[r.start.line] ?? '').slice(r.start.character, r.end.character);
  const parts = [lines[r.start.line]?.slice(r.start.character) ?? ''];
  for (let l = r.start.line + 1; l < r.end.line; l++) parts.push(lines[l] ?? '');
  parts.push(lines[r.end.line]?.slice(0, r.end.character) ?? '');
  return parts.join('\n');
}

/** The scalar a YAML value text holds (quotes removed, comment dropped). */
function scalarText(t: string): string {
  const s = t.replace(/\s+#.*$/, '').trim();
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  return s;
}

/**
 * The edits that make Git say what the cluster has for each drifted field of `result`. `info` is the
 * rendered object with its source map (source, patchedBy, application root); `readFile` reads the
 * current text of a file (the editor passes open documents' text).
 */
export function planAcceptLive(result: DriftResult, info: RenderedObjectInfo, readFile?: (file: string) => string | undefined): AcceptPlan {
  const plan: AcceptPlan = { edits: [], skipped: [] };
  if (result.status !== 'drifted') return plan;
  const files = new SourceFiles(readFile);
  const locator = new RenderedLocator(files);
  const secret = result.id.kind === 'Secret' && result.id.group === '';
  for (const f of result.fields) {
    if (secret || f.masked) {
      plan.skipped.push({ field: f.path, why: 'Secret values are never written to Git' });
      continue;
    }
    if (f.change !== 'changed') {
      plan.skipped.push({ field: f.path, why: f.change === 'added' ? 'only the cluster has it: adding it to Git is left to you' : 'the cluster lacks it: removing it from Git is left to you' });
      continue;
    }
    const desired = typeof f.desired === 'string' || typeof f.desired === 'number' || typeof f.desired === 'boolean' ? String(f.desired) : undefined;
    const live = yamlScalar(f.live);
    if (desired === undefined || live === undefined) {
      plan.skipped.push({ field: f.path, why: 'not a plain value (a list or a map): edit it by hand' });
      continue;
    }
    const path = plainPath(f.segments);
    const { location } = locator.locate(info, { code: 'accept-live', message: '', path });
    const text = location.file ? files.text(location.file) : undefined;
    if (!location.file || text === undefined) {
      plan.skipped.push({ field: f.path, why: 'where Git sets it is not known' });
      continue;
    }
    const here = scalarText(textAt(text, location.range));
    const edit = (newText: string) => plan.edits.push({ file: location.file, range: location.range, newText, field: f.path, from: desired, to: String(f.live) });
    if (here === desired) {
      edit(live);
      continue;
    }
    // An `images:` entry sets the tag (`newTag: 1.2`) of an image Git writes whole.
    const last = path[path.length - 1];
    if (last === 'image' && typeof f.live === 'string' && here === parseImage(desired).tag) {
      const tag = parseImage(f.live).tag;
      if (tag !== undefined && f.live.split(':')[0] === desired.split(':')[0]) {
        edit(yamlScalar(tag)!);
        continue;
      }
    }
    plan.skipped.push({ field: f.path, why: `Git sets it in a way that cannot be rewritten as a value (${here.length > 40 ? `${here.slice(0, 39)}…` : here || 'a computed value'})`, at: location });
  }
  return plan;
}
