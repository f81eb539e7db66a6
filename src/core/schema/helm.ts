// Helm templates are Go templates that happen to look like YAML: validating them as YAML gives
// false errors. Their rendered output is validated instead (by the caller that renders them).
import { existsSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

/**
 * True for a file inside a chart's `templates/` folder (a folder whose parent has a Chart.yaml; with
 * `checkChart: false`, any `templates/` folder), and for text where a `{{ … }}` action stands where
 * YAML would read structure: at the start of a line, a list item or a value (`replicas: {{ … }}`).
 * A `{{` inside a quoted string, in the middle of a plain scalar, or inside a block scalar is YAML
 * text (Argo CD ApplicationSet placeholders, `templatePatch: |`), and the file is validated.
 */
export function isHelmTemplate(path: string | undefined, text: string, opts: { checkChart?: boolean } = {}): boolean {
  if (path && inChartTemplates(path, opts.checkChart !== false)) return true;
  return text.includes('{{') && hasStructuralAction(text);
}

function inChartTemplates(path: string, checkChart: boolean): boolean {
  const p = path.replace(/^file:\/\//, '').split(/[\\/]/).join(sep);
  let dir = dirname(p);
  for (let i = 0; i < 4 && dir && dir !== dirname(dir); i++) {
    if (basename(dir) === 'templates') {
      if (!checkChart) return true;
      const chart = dirname(dir);
      return existsSync(join(chart, 'Chart.yaml')) || existsSync(join(chart, 'Chart.yml'));
    }
    dir = dirname(dir);
  }
  return false;
}

const BLOCK_SCALAR_START = /(?:^|[\s:-])[|>][+-]?\d*[+-]?\s*(?:#.*)?$/;
const ACTION_AT_VALUE = /^\s*(?:-\s+)*(?:\{\{|[^\s#'"][^#'"]*?:\s+\{\{|['"][^'"]*['"]\s*:\s+\{\{)/;

function hasStructuralAction(text: string): boolean {
  const lines = text.split('\n');
  let blockIndent = -1; // > -1 while inside a block scalar: lines indented more than this belong to it
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === '' || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (line.includes('{{') && ACTION_AT_VALUE.test(line)) return true;
    if (BLOCK_SCALAR_START.test(line) && !/^\s*#/.test(line)) blockIndent = indent;
  }
  return false;
}
