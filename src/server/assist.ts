// Completion and hover for Kubernetes fields, through yaml-language-server's language service fed
// by our schema registry, one YAML document at a time: the document under the cursor is handed to
// the service as its own file, bound to the schema of its apiVersion/kind, so that a multi-document
// file mixing kinds gets the right schema everywhere. yaml-language-server loads on first use.
import type { CompletionList, Hover, Position, Range } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { SchemaRegistry } from '../core/schema';
import { splitDocuments, type DocumentChunk } from '../core/schema';
import { splitApiVersion } from '../core/manifest';

type LanguageService = import('yaml-language-server').LanguageService;

export class SchemaAssist {
  private service: Promise<LanguageService> | undefined;
  private readonly schemas = new Map<string, string>();
  private configuredFor = -1;
  private version = 0;

  private readonly registryIds = new WeakMap<SchemaRegistry, number>();
  private nextRegistryId = 0;

  constructor(private readonly registry: (uri: string) => SchemaRegistry) {}

  private languageService(): Promise<LanguageService> {
    this.service ??= import('yaml-language-server').then((yls) =>
      yls.getLanguageService({
        schemaRequestService: async (uri: string) => {
          const s = this.schemas.get(uri);
          if (s === undefined) throw new Error(`no schema ${uri}`);
          return s;
        },
        workspaceContext: { resolveRelativePath: (p: string) => p },
      }),
    );
    return this.service;
  }

  /** The document under the cursor as a file of its own, bound to its kind's schema. */
  private async prepare(doc: TextDocument, pos: Position): Promise<{ ls: LanguageService; slice: TextDocument; chunk: DocumentChunk } | undefined> {
    const text = doc.getText();
    const chunks = splitDocuments(text) ?? [{ startLine: 0, offset: 0, text }];
    const chunk = [...chunks].reverse().find((c) => c.startLine <= pos.line);
    if (!chunk) return undefined;
    const apiVersion = /^apiVersion:[ \t]*["']?([^\s"'#]+)/m.exec(chunk.text)?.[1];
    const kind = /^kind:[ \t]*["']?([^\s"'#]+)/m.exec(chunk.text)?.[1];
    if (!apiVersion || !kind) return undefined;
    const { group, version } = splitApiVersion(apiVersion);
    const registry = this.registry(doc.uri);
    // Each registry (one per kube context) has its own schemas for the same kind.
    let rid = this.registryIds.get(registry);
    if (rid === undefined) this.registryIds.set(registry, (rid = this.nextRegistryId++));
    const schemaUri = `reconcile://schemas/${rid}/${group || 'core'}/${version}/${kind}.json`;
    const fileUri = `file:///__reconcile__/${rid}/${group || 'core'}/${version}/${kind}.yaml`;
    if (!this.schemas.has(schemaUri)) {
      const schema = registry.jsonSchemaFor(group, version, kind, { descriptions: true });
      if (!schema) return undefined;
      this.schemas.set(schemaUri, JSON.stringify(schema));
    }
    const ls = await this.languageService();
    if (this.configuredFor !== this.schemas.size) {
      this.configuredFor = this.schemas.size;
      ls.configure({
        validate: false,
        hover: true,
        completion: true,
        isKubernetes: false,
        yamlVersion: '1.2',
        schemas: [...this.schemas.keys()].map((uri) => ({ uri, fileMatch: [uri.replace('reconcile://schemas/', '/__reconcile__/').replace(/\.json$/, '.yaml')] })),
      });
    }
    // A document starting with its `---` marker keeps it: the slice's lines match the chunk's.
    const slice = TextDocument.create(fileUri, 'yaml', ++this.version, chunk.text);
    return { ls, slice, chunk };
  }

  async complete(doc: TextDocument, pos: Position): Promise<CompletionList | undefined> {
    const p = await this.prepare(doc, pos);
    if (!p) return undefined;
    const list = await p.ls.doComplete(p.slice, { line: pos.line - p.chunk.startLine, character: pos.character }, false);
    for (const item of list.items) {
      const te = item.textEdit;
      if (te && 'range' in te) te.range = shift(te.range, p.chunk.startLine);
      else if (te && 'insert' in te) {
        te.insert = shift(te.insert, p.chunk.startLine);
        te.replace = shift(te.replace, p.chunk.startLine);
      }
    }
    return list;
  }

  async hover(doc: TextDocument, pos: Position): Promise<Hover | undefined> {
    const p = await this.prepare(doc, pos);
    if (!p) return undefined;
    const h = await p.ls.doHover(p.slice, { line: pos.line - p.chunk.startLine, character: pos.character });
    if (!h) return undefined;
    if (h.range) h.range = shift(h.range, p.chunk.startLine);
    return h;
  }

  /** Schemas changed (another Kubernetes version, a CRD learned): build them again on demand. */
  reset(): void {
    this.schemas.clear();
    this.configuredFor = -1;
  }
}

function shift(r: Range, lines: number): Range {
  return { start: { line: r.start.line + lines, character: r.start.character }, end: { line: r.end.line + lines, character: r.end.character } };
}
