// What the language server runs on a file: the core engines, composed. Each returns Findings
// (src/core/findings.ts); the server turns them into LSP diagnostics and code actions.
import { parseManifests } from '../core/manifest';
import type { Finding } from '../core/findings';

export interface CheckSettings {
  /** Kubernetes minor version whose schemas apply, e.g. "1.33". */
  kubernetesVersion?: string;
}

export interface FileChecker {
  check(file: string, text: string, settings: CheckSettings): Finding[];
}

/** YAML-level checks: syntax errors, duplicate keys, aliases, binary or too-large input. */
export const yamlChecker: FileChecker = {
  check(file, text) {
    const parsed = parseManifests(text);
    return parsed.errors.map((e) => ({
      code: e.code === 'yaml-syntax' && e.detail === 'DUPLICATE_KEY' ? 'yaml/duplicate-key' : `yaml/${e.code.replace(/^yaml-/, '')}`,
      severity: e.severity,
      message: e.message,
      file,
      range: e.range,
      source: 'schema' as const,
    }));
  },
};
