// kubectl reads YAML through sigs.k8s.io/yaml (go-yaml v2), which resolves the YAML 1.1 booleans:
// an unquoted `yes`, `on`, `y` is true and `no`, `off`, `n` is false. The API server then rejects
// `FEATURE: on` in a ConfigMap (a string field) and accepts `prune: yes` (a boolean field). The
// `yaml` and js-yaml parsers follow YAML 1.2, where those are strings; this module makes both
// resolve booleans the way kubectl does, so the findings say what the API server would say.
import { CORE_SCHEMA, Type, type Schema } from 'js-yaml';
import { visit, type Document } from 'yaml';

const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

const bool11 = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (TRUE.has(data) || FALSE.has(data)),
  construct: (data: string) => TRUE.has(data),
  predicate: (v: unknown) => typeof v === 'boolean',
  represent: { lowercase: (v: object) => (v ? 'true' : 'false') },
  defaultStyle: 'lowercase',
});

/** js-yaml's core schema with YAML 1.1 (kubectl) booleans. */
export const KUBECTL_SCHEMA: Schema = CORE_SCHEMA.extend({ implicit: [bool11] });

/** Rewrites plain scalars that YAML 1.1 reads as booleans; true when anything changed. */
export function applyYaml11Booleans(doc: Document): boolean {
  let changed = false;
  visit(doc, {
    Scalar(key, node) {
      if (node.type !== 'PLAIN' || typeof node.value !== 'string' || node.tag) return;
      if (TRUE.has(node.value) || FALSE.has(node.value)) {
        node.value = TRUE.has(node.value);
        changed = true;
      }
    },
  });
  return changed;
}

export function isYaml11BooleanWord(s: string): boolean {
  return TRUE.has(s) || FALSE.has(s);
}
