// One file's text, parsed once and shared by every check that reads it. The schema engine and the
// policy engine both need each document's plain value; a ParsedText computes the fast (js-yaml)
// documents on first use and hands the same ones to the next engine, so a file is parsed once
// per check instead of once per engine. The values are shared: callers must not modify them.
import { quickParse, type QuickDocument } from './quick';

export class ParsedText {
  private quickDocs: QuickDocument[] | null | undefined;

  constructor(readonly text: string) {}

  /** quickParse(text), computed on the first call; undefined when the text needs the full parser. */
  quick(): QuickDocument[] | undefined {
    if (this.quickDocs === undefined) this.quickDocs = quickParse(this.text) ?? null;
    return this.quickDocs ?? undefined;
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
