// A YAML file read for discovery: values come from the fast loader (manifest/quick.ts); the
// full parse, with node ranges, is done only when a location inside the file is asked for.
import { parseManifests, rangeOfPath, type ManifestFile } from '../manifest/parse';
import { quickParse } from '../manifest/quick';
import type { ResourceId } from '../manifest/identity';
import { FILE_START, type SourceLocation, type SourceRange } from '../manifest/range';
import type { DocumentShape, ManifestError } from '../manifest/parse';

export interface YamlDocument {
  index: number;
  value: unknown;
  shape: DocumentShape;
  id?: ResourceId;
  range: SourceRange;
}

export class YamlFile {
  private fullParse?: ManifestFile;
  private docs?: YamlDocument[];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  get full(): ManifestFile {
    return (this.fullParse ??= parseManifests(this.text, { maxFileBytes: Number.MAX_SAFE_INTEGER }));
  }

  get documents(): YamlDocument[] {
    if (!this.docs) {
      const q = quickParse(this.text);
      this.docs = q ?? this.full.documents.map((d) => ({ index: d.index, value: d.value, shape: d.shape, id: d.id, range: d.range }));
    }
    return this.docs;
  }

  /** Syntax errors (this parses the file fully: ask only when needsFullParse says so). */
  get errors(): ManifestError[] {
    return this.full.errors.filter((e) => e.severity === 'error');
  }

  /** Whether the fast loader could not read the file (so it may hold errors). */
  get needsFullParse(): boolean {
    this.documents;
    return this.fullParse !== undefined;
  }

  /** Location of a node in a document (the whole document when the path is not there). */
  locate(docIndex: number, path: ReadonlyArray<string | number>, opts: { key?: boolean } = {}): SourceLocation {
    const mf = this.full;
    const doc = mf.documents[docIndex];
    if (!doc) return { file: this.file, range: FILE_START };
    return { file: this.file, range: rangeOfPath(mf, doc, path, opts) ?? doc.contentRange };
  }
}
