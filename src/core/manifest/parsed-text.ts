// One file's text, parsed once and shared by every check that reads it. The schema engine and the
// policy engine both need each document's plain value; a ParsedText computes the fast (js-yaml)
// documents on first use and hands the same ones to the next engine, so a file is parsed once
// per check instead of once per engine. Values are read as kubectl reads them (YAML 1.1
// booleans: `privileged: on` is true), which is what the API server would get.
//
// An editor keeps the ParsedText of a document's previous version and passes it to the next one:
// documents whose text did not change are then taken from it, not parsed again, and keep the same
// value objects (so per-document results keyed by value stay valid). The values are shared:
// callers must not modify them.
import { quickParse, type DocumentMemo, type LoadedDocument, type QuickDocument } from './quick';

export class ParsedText {
  private quickDocs: QuickDocument[] | null | undefined;
  /** This parse's documents and their texts (once quick() ran), for the next version's parse. */
  private loaded: Array<[string, LoadedDocument]> | undefined;
  private memo: DocumentMemo | undefined;
  /** An earlier version, until quick() ran. */
  private previous: ParsedText | undefined;

  /** `previous`: the ParsedText of an earlier version of the same file (an editor's last parse). */
  constructor(
    readonly text: string,
    previous?: ParsedText,
  ) {
    // One generation is kept: the previous version, or when it was never parsed, the one before it.
    this.previous = previous && (previous.quickDone ? previous : previous.previous);
  }

  /** quickParse(text) with kubectl's booleans, computed on the first call; undefined when the text needs the full parser. */
  quick(): QuickDocument[] | undefined {
    if (this.quickDocs === undefined) {
      const reuse = this.previous?.documents();
      this.loaded = [];
      this.quickDocs = quickParse(this.text, { kubectl: true, reuse, record: this.loaded }) ?? null;
      // A text the fast parser refused (e.g. a document being typed) keeps the earlier documents too.
      if (!this.quickDocs && reuse) for (const e of reuse) this.loaded.push(e);
      this.previous = undefined;
    }
    return this.quickDocs ?? undefined;
  }

  /** This parse's documents by their text (built when a later version first asks). */
  private documents(): DocumentMemo | undefined {
    if (!this.memo && this.loaded) {
      this.memo = new Map(this.loaded);
      this.loaded = undefined;
    }
    return this.memo;
  }

  /** Whether quick() was already computed (a caller that needs a few documents may parse only those). */
  get quickDone(): boolean {
    return this.quickDocs !== undefined;
  }

  /** Whether this holds `text` (a parse of another text must not be used for it). */
  holds(text: string): boolean {
    return this.text === text;
  }
}
