// The Reconcile language server: validation runs here, off the extension host. A keystroke
// re-validates after a short debounce; a run whose document changed meanwhile is dropped.
import {
  CodeAction,
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
  type Position,
  type TextDocumentPositionParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI } from './uri';
import { docsCommandUri, mergeEquivalentFindings, type Finding, type Fix } from '../core/findings';
import type { CheckSettings } from '../core/check/file-checks';
import { ContextSchemas, type ClusterSettings } from './context-schemas';
import { SchemaAssist } from './assist';
import { schemaDeferred } from '../core/schema/deferral';
import { findYamlFiles } from '../core/util/yaml-files';
import { readTextOrUndefined } from '../core/util/files';
import { checkRendered } from '../core/check/environment-checks';
import { loadPolicyContext, type PolicyContext } from '../core/check/policy-context';
import { ParsedText } from '../core/manifest/parsed-text';
import { screenOpenDocument, type InputRefusal } from '../core/manifest/limits';
import { refusalFinding } from '../core/schema/validator';
import { modelineNote, ModelineSchemas, modelinesOf, validateWithUserSchema } from '../core/schema/modeline';
import { checkEnvironment as checkEnvironmentPolicies, checkFile as checkPolicies, environmentObjects, PolicyFileCache } from '../core/policy';
import type { Application } from '../core/repo';
import type { RenderedDocument } from '../core/render';

const DEBOUNCE_MS = 250;
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
/** The client's settings; `trusted`: the workspace is trusted (modeline schemas are fetched only then). */
let settings: CheckSettings & { trusted?: boolean } = {};
/** Schemas that documents name in `# yaml-language-server: $schema=` modelines (fetched once, cached). */
let modelineSchemas: ModelineSchemas | undefined;
let schemas: ContextSchemas;
let initialCluster: ClusterSettings | undefined;
const assist = new SchemaAssist((uri) => schemas.checksFor(URI.toPath(uri)).registry);
let workspaceRoots: string[] = [];
let registryGeneration = -1;
/** Per workspace folder: .reconcile.yaml's policy section and the repository's admission policies. */
let policyContexts: PolicyContext[] = [];
/** Policy files that got diagnostics for their own problems (to clear them on reload). */
let policyProblemFiles = new Set<string>();

/** A file's text as the editor has it (open buffers first), else as it is on disk. */
function openText(file: string): string | undefined {
  return documents.get(URI.fromPath(file))?.getText() ?? readTextOrUndefined(file);
}

function reloadPolicies(): void {
  const t0 = Date.now();
  policyContexts = workspaceRoots.map((root) => loadPolicyContext(root, openText));
  const byFile = new Map<string, Diagnostic[]>();
  for (const ctx of policyContexts) {
    for (const f of ctx.problems) {
      if (!f.file) continue;
      byFile.set(f.file, [...(byFile.get(f.file) ?? []), toDiagnostic(f)]);
    }
  }
  for (const file of policyProblemFiles) if (!byFile.has(file) && !documents.get(URI.fromPath(file))) void connection.sendDiagnostics({ uri: URI.fromPath(file), diagnostics: [] });
  for (const [file, diagnostics] of byFile) if (!documents.get(URI.fromPath(file))) void connection.sendDiagnostics({ uri: URI.fromPath(file), diagnostics });
  policyProblemFiles = new Set(byFile.keys());
  const n = policyContexts.reduce((k, c) => k + c.policyFiles.length, 0);
  connection.console.info(`Loaded ${n} policy file(s) and .reconcile.yaml policy settings in ${Date.now() - t0} ms`);
}

function policyContextFor(file: string): PolicyContext | undefined {
  return policyContexts.filter((c) => file.startsWith(c.root + path.sep)).sort((a, b) => b.root.length - a.root.length)[0];
}

function isPolicyInput(file: string): boolean {
  return path.basename(file) === '.reconcile.yaml' || policyContexts.some((c) => c.policyFiles.includes(file));
}
const timers = new Map<string, NodeJS.Timeout>();
/**
 * Per open document: its last parse and the policy engine's per-object results. The next version's
 * check re-parses and re-checks only the documents an edit changed (and what depends on them).
 */
const lastChecks = new Map<string, { parsed: ParsedText; policy: PolicyFileCache }>();
/** Fixes of the diagnostics last published, per document, to answer code actions. */
const fixes = new Map<string, { diagnostic: Diagnostic; fixes: Fix[] }[]>();

connection.onInitialize((params) => {
  settings = { ...(params.initializationOptions as CheckSettings | undefined) };
  const init = params.initializationOptions as { storageDir?: string; cluster?: ClusterSettings } | undefined;
  schemas = new ContextSchemas(
    settings,
    init?.storageDir,
    () => findYamlFiles(workspaceRoots, 20_000),
    (m) => connection.console.info(m),
    () => revalidateAllIfSchemasChanged(),
  );
  workspaceRoots = (params.workspaceFolders ?? []).filter((f) => f.uri.startsWith('file:')).map((f) => URI.toPath(f.uri));
  initialCluster = init?.cluster;
  const modelineCache = init?.storageDir ? path.join(path.dirname(init.storageDir), 'modeline-schemas') : undefined;
  modelineSchemas = new ModelineSchemas({
    cacheDir: modelineCache,
    readFile: (f) => openText(f),
    writeFile: (f, text) => {
      try {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text);
      } catch (e) {
        connection.console.warn(`could not cache a modeline schema in ${f}: ${(e as Error).message}`);
      }
    },
    fetchText: async (url) => {
      const r = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const text = await r.text();
      if (text.length > 16 * 1024 * 1024) throw new Error('larger than 16 MB');
      return text;
    },
    onFetched: () => {
      for (const d of documents.all()) if (d.getText().includes('$schema=')) schedule(d);
    },
  });
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      completionProvider: { triggerCharacters: [':', ' ', '-'] },
      hoverProvider: true,
    },
    serverInfo: { name: 'reconcile-language-server' },
  };
});

connection.onInitialized(() => {
  // The repository's CustomResourceDefinitions, so that its custom resources validate before their CRD is opened.
  setTimeout(() => {
    const t0 = Date.now();
    const files = findYamlFiles(workspaceRoots, 20_000);
    reloadPolicies();
    const n = schemas.learnCrds(files);
    if (initialCluster) schemas.configureCluster(initialCluster);
    connection.console.info(`Learned CRDs from ${n} file(s) of ${files.length} YAML files in ${Date.now() - t0} ms`);
    revalidateAllIfSchemasChanged();
  }, 0);
});

// Rendered output of an application (rendered in the extension host), validated here and mapped back
// to the repository's documents.
connection.onRequest('reconcile/checkRendered', (p: { environment: string; app: Application; yaml: string; documents: Pick<RenderedDocument, 'range' | 'source' | 'id'>[] }) =>
  checkRendered(p.environment, p.app, p.yaml, p.documents, schemas.checksFor(p.app.sourcePaths[0] ?? p.app.root).registry),
);

// Policies over a whole rendered environment (reference integrity, duplicates, protected-environment
// rules, the repository's admission policies), placed on the patch or base document that caused each
// finding, with the environment in the message. Files need not be open: these are the environment's
// findings, shown in Problems for every file they concern.
connection.onRequest(
  'reconcile/checkEnvironmentPolicies',
  (p: { environment: { name: string; protected: boolean; namespaces: string[] }; apps: { application: Application; documents: RenderedDocument[] }[] }) => {
    const root = p.apps[0]?.application.root;
    const ctx = root ? policyContextFor(root) : undefined;
    if (!ctx) return [];
    return checkEnvironmentPolicies(p.environment, environmentObjects(p.apps), { ...ctx.options, environment: p.environment });
  },
);

connection.onRequest('reconcile/serverInfo', async (p?: { waitForClusterSchemas?: boolean; context?: string }) => {
  if (p?.waitForClusterSchemas) await schemas.ready();
  const status = p?.context ? schemas.status(p.context) : undefined;
  return {
    pid: process.pid,
    kubernetesVersion: schemas.default.registry.kubernetesVersion,
    clusterSchemas: status && { source: status.source, format: status.format, kinds: status.schemas.length, errors: status.errors.map((e) => e.message) },
  };
});

connection.onNotification('reconcile/refreshClusterSchemas', () => {
  schemas.refresh();
});

connection.onNotification('reconcile/cluster', (c: ClusterSettings) => {
  schemas.configureCluster(c);
  for (const d of documents.all()) schedule(d);
});

connection.onNotification('reconcile/settings', (s: CheckSettings) => {
  settings = { ...settings, ...s };
  if (schemas.configure(settings)) assist.reset();
  for (const d of documents.all()) schedule(d);
});

function revalidateAllIfSchemasChanged(): void {
  const generation = schemas.all().reduce((n, c) => n + c.registry.generation, 0);
  if (generation === registryGeneration) return;
  registryGeneration = generation;
  assist.reset();
  for (const d of documents.all()) schedule(d);
}

/** Rule pages ship in the extension (docs/rules/*.md, beside dist/): link them as files. */
/** A rule's documentation link: the page rendered in the Markdown preview (not the raw file), through the extension's command. */
function docsHref(docs: string): string {
  return /^[a-z]+:/.test(docs) ? docs : docsCommandUri(docs);
}

function severity(s: Finding['severity']): DiagnosticSeverity {
  return s === 'error' ? DiagnosticSeverity.Error : s === 'warning' ? DiagnosticSeverity.Warning : s === 'info' ? DiagnosticSeverity.Information : DiagnosticSeverity.Hint;
}

function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range,
    severity: severity(f.severity),
    message: f.message,
    source: 'reconcile',
    code: f.code,
    ...(f.docs ? { codeDescription: { href: docsHref(f.docs) } } : {}),
  };
}

/** Publishes the one finding of a document past an input limit (manifest/limits.ts); it is not parsed. */
function publishRefusal(doc: TextDocument, refusal: InputRefusal): void {
  fixes.delete(doc.uri);
  lastChecks.delete(doc.uri);
  for (const c of schemas.all()) c.forget(URI.toPath(doc.uri));
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [toDiagnostic(refusalFinding(refusal))] });
}

function validate(doc: TextDocument): void {
  const version = doc.version;
  const file = URI.toPath(doc.uri);
  const text = doc.getText();
  // The limits every reader applies, first: a 50 MB buffer or 10,000-level nesting is never parsed.
  const refusal = screenOpenDocument(text, doc.uri.startsWith('file:') ? file : undefined);
  if (refusal) return publishRefusal(doc, refusal);
  const findings: Finding[] = [];
  const deferred = schemaDeferred(file, workspaceRoots, settings.deferSchemaGlobs ?? []);
  // parsed once, for the schema and the policy checks, reusing the unchanged documents of the last parse
  const last = lastChecks.get(doc.uri);
  const parsed = new ParsedText(text, last?.parsed);
  const policyCache = last?.policy ?? new PolicyFileCache();
  lastChecks.set(doc.uri, { parsed, policy: policyCache });
  // Modelines (`# yaml-language-server: $schema=…`, `# reconcile: ignore-schema`) decide which schema a document gets.
  const modelines = /yaml-language-server:|reconcile:\s*ignore-schema/.test(text) ? modelinesOf(text) : undefined;
  try {
    if (!deferred && !modelines?.ignoreSchema) {
      let schemaFindings = schemas.checksFor(file).check(file, text, parsed);
      for (const m of modelines?.documents ?? []) {
        if (m.known) continue; // a known mirror's kind and version: the bundled (or cluster) schema applies
        // The user's own schema: this document is checked against it, never against ours.
        schemaFindings = schemaFindings.filter((f) => f.source !== 'schema' || f.range.start.line < m.from || f.range.start.line > m.to);
        const got = modelineSchemas?.get(m.target, file, settings.trusted === true) ?? { error: 'cannot be read' };
        if ('schema' in got) schemaFindings.push(...validateWithUserSchema(file, text, m, got.schema));
        else if ('error' in got) schemaFindings.push(modelineNote(file, text, m, got.error));
      }
      findings.push(...schemaFindings);
    }
  } catch (e) {
    connection.console.error(`schema check failed on ${file}: ${(e as Error).stack ?? e}`);
  }
  try {
    const ctx = policyContextFor(file);
    if (ctx) {
      findings.push(...checkPolicies(file, text, ctx.options, parsed, policyCache));
      // A policy file's own problems (invalid CEL, missing params) while it is edited.
      if (ctx.policyFiles.includes(file)) findings.push(...ctx.problems.filter((f) => f.file === file));
    }
  } catch (e) {
    connection.console.error(`policy check failed on ${file}: ${(e as Error).stack ?? e}`);
  }
  // A newer version arrived while we worked: its own run will publish.
  if (documents.get(doc.uri)?.version !== version) return;
  const published: { diagnostic: Diagnostic; fixes: Fix[] }[] = [];
  const diagnostics = mergeEquivalentFindings(findings).map((f) => {
    const d = toDiagnostic(f);
    if (f.fixes?.length) published.push({ diagnostic: d, fixes: f.fixes });
    return d;
  });
  fixes.set(doc.uri, published);
  void connection.sendDiagnostics({ uri: doc.uri, version, diagnostics });
  // Editing a CRD changes what other files mean.
  if (registryGeneration !== -1) revalidateAllIfSchemasChanged();
}

function schedule(doc: TextDocument): void {
  clearTimeout(timers.get(doc.uri));
  timers.set(doc.uri, setTimeout(() => {
    timers.delete(doc.uri);
    const current = documents.get(doc.uri);
    if (current) validate(current);
  }, DEBOUNCE_MS));
}

documents.onDidOpen((e) => validate(e.document));
documents.onDidChangeContent((e) => {
  schedule(e.document);
  // Editing .reconcile.yaml or a policy changes what every other file means.
  if (isPolicyInput(URI.toPath(e.document.uri))) schedulePolicyReload();
});

let policyReloadTimer: NodeJS.Timeout | undefined;
function schedulePolicyReload(): void {
  clearTimeout(policyReloadTimer);
  policyReloadTimer = setTimeout(() => {
    reloadPolicies();
    for (const d of documents.all()) schedule(d);
  }, DEBOUNCE_MS);
}

connection.onDidChangeWatchedFiles((params) => {
  if (params.changes.some((c) => isPolicyInput(URI.toPath(c.uri)) || /ValidatingAdmissionPolicy/.test(openText(URI.toPath(c.uri)) ?? ''))) schedulePolicyReload();
});
documents.onDidClose((e) => {
  clearTimeout(timers.get(e.document.uri));
  for (const c of schemas.all()) c.forget(URI.toPath(e.document.uri));
  fixes.delete(e.document.uri);
  lastChecks.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onCodeAction((params) => {
  const entries = fixes.get(params.textDocument.uri) ?? [];
  const actions: CodeAction[] = [];
  for (const { diagnostic, fixes: fs } of entries) {
    const overlaps = params.context.diagnostics.some((d) => d.code === diagnostic.code && d.range.start.line === diagnostic.range.start.line && d.message === diagnostic.message);
    if (!overlaps) continue;
    for (const fix of fs) {
      const changes: Record<string, { range: Fix['edits'][number]['range']; newText: string }[]> = {};
      for (const e of fix.edits) (changes[URI.fromPath(e.file)] ??= []).push({ range: e.range, newText: e.newText });
      actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: fix.isPreferred, edit: { changes } });
    }
  }
  // An unknown field with a near known one: rename the key (`replica` → `replicas`).
  for (const d of params.context.diagnostics) {
    const suggestion = d.code === 'schema/unknown-field' ? /\(did you mean "([^"]+)"\?\)/.exec(d.message)?.[1] : undefined;
    if (!suggestion || d.range.start.line !== d.range.end.line) continue;
    actions.push({
      title: `Rename to ${suggestion}`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [params.textDocument.uri]: [{ range: d.range, newText: suggestion }] } },
    });
  }
  return actions;
});

/** Completion and hover share this: find the document, ask the assistant, log (never throw) a failure. */
function assisted<T>(what: string, ask: (doc: TextDocument, pos: Position) => Promise<T | undefined>) {
  return async (params: TextDocumentPositionParams): Promise<T | null> => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    try {
      return (await ask(doc, params.position)) ?? null;
    } catch (e) {
      connection.console.error(`${what} failed: ${(e as Error).stack ?? e}`);
      return null;
    }
  };
}

connection.onCompletion(assisted('completion', (doc, pos) => assist.complete(doc, pos)));
connection.onHover(assisted('hover', (doc, pos) => assist.hover(doc, pos)));

documents.listen(connection);
connection.listen();
