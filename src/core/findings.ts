// What every check (schema, policy, secrets, render) reports, in one shape, so the language server,
// the VS Code adapters and the CLI (text, JSON, SARIF, JUnit) all speak the same language.
import type { SourceRange } from './manifest/range';

export type FindingSeverity = 'error' | 'warning' | 'info' | 'hint';

export interface TextEdit {
  /** Absolute path of the file to edit. */
  file: string;
  range: SourceRange;
  newText: string;
}

/** A quick fix: edits that make the finding go away, offered only where the fix is certain. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

export interface Finding {
  /** Stable id, e.g. `schema/unknown-field`, `RC-PSS-001`; also the name of its docs page. */
  code: string;
  severity: FindingSeverity;
  /** Short, specific, never containing a secret value. */
  message: string;
  /** Absolute path of the file, when the finding is about a file. */
  file?: string;
  range: SourceRange;
  /** Which engine found it. */
  source: 'schema' | 'policy' | 'secret' | 'render' | 'repo';
  /** Link to the rule's documentation page (docs/rules/<code>.md or a URL). */
  docs?: string;
  /** The environment, for findings on rendered output (messages then start with `[env]`). */
  environment?: string;
  fixes?: Fix[];
}
