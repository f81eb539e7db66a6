// What the policy engine keeps between two checks of a file open in an editor, so that one edit
// costs the edited document, not the file: each object's rule results (violations and admission
// problems) by its value, and each document's own parse (for ranges and quick fixes) by its text.
//
// An object's results are reused while its value is the same object (ParsedText hands the same
// value to an unchanged document) and nothing it read of the file changed: the engine records what
// the rules looked up in the file's ObjectSet (kinds, or every object) and the cache compares those
// objects with what they are now. Rules that look at other documents (a Deployment and the
// Services selecting it, an HPA and its target, admission params, CRDs, Namespaces) are therefore
// re-run when one of those changes. Everything is dropped when the options or policies change.
import type { ManifestDocument, ManifestFile } from '../manifest/parse';
import type { PolicyProblem, PolicySet } from './admission';
import type { ObjectRef, ObjectSet, PolicyOptions, Violation } from './types';
import type { Obj } from './workload';

export interface ObjectResult {
  violations: Violation[];
  problems: PolicyProblem[];
}

interface Entry extends ObjectResult {
  /** What the rules read of the file: kind (or every object) → the values it held then. */
  reads: Array<[string, readonly Obj[]]>;
}

/** One document parsed on its own with ranges (undefined: it could not be). */
export type ParsedSlice = { mf: ManifestFile; doc: ManifestDocument } | undefined;

export interface PolicyCacheStats {
  objects: number;
  /** Objects whose results were reused. */
  reused: number;
  /** Documents parsed on their own for ranges in this check, and those reused. */
  slicesParsed: number;
  slicesReused: number;
}

export class PolicyFileCache {
  private options: PolicyOptions | undefined;
  private policies: PolicySet | undefined;
  private results = new Map<Obj, Entry>();
  private nextResults = new Map<Obj, Entry>();
  private slices = new Map<string, ParsedSlice>();
  private nextSlices = new Map<string, ParsedSlice>();
  /** Per check: the values of each kind read (shared by the entries stored in it) and which earlier snapshots still hold. */
  private snapshots = new Map<string, readonly Obj[]>();
  private valid = new Map<readonly Obj[], boolean>();
  /** Counters of the last check. */
  stats: PolicyCacheStats = { objects: 0, reused: 0, slicesParsed: 0, slicesReused: 0 };

  /** Starts a check; what was computed with other options or policies is dropped. */
  begin(options: PolicyOptions, policies: PolicySet | undefined): void {
    if (options !== this.options || policies !== this.policies) {
      this.results.clear();
      this.slices.clear();
      this.options = options;
      this.policies = policies;
    }
    this.nextResults = new Map();
    this.nextSlices = new Map();
    this.snapshots.clear();
    this.valid.clear();
    this.stats = { objects: 0, reused: 0, slicesParsed: 0, slicesReused: 0 };
  }

  /** Ends the check: only what it used is kept for the next one. */
  end(): void {
    this.results = this.nextResults;
    this.slices = this.nextSlices;
    this.nextResults = new Map();
    this.nextSlices = new Map();
    this.snapshots.clear();
    this.valid.clear();
  }

  /** The results of the rules on `o` from an earlier check, when nothing they depend on changed. */
  lookup(o: ObjectRef, set: ObjectSet): ObjectResult | undefined {
    this.stats.objects++;
    const e = this.results.get(o.value) ?? this.nextResults.get(o.value);
    if (!e || !e.reads.every(([read, values]) => this.holds(set, read, values))) return undefined;
    this.nextResults.set(o.value, e);
    this.stats.reused++;
    return e;
  }

  /** Keeps the results of the rules on `o`, with what they read of `set`. */
  store(o: ObjectRef, set: ObjectSet, result: ObjectResult, reads: ReadonlySet<string>): void {
    const entry: Entry = { ...result, reads: [...reads].map((r) => [r, this.snapshot(set, r)]) };
    this.nextResults.set(o.value, entry);
  }

  /** A document's own parse, by its text. */
  slice(text: string, parse: () => ParsedSlice): ParsedSlice {
    if (this.nextSlices.has(text)) return this.nextSlices.get(text);
    let p: ParsedSlice;
    if (this.slices.has(text)) {
      p = this.slices.get(text);
      this.stats.slicesReused++;
    } else {
      p = parse();
      this.stats.slicesParsed++;
    }
    this.nextSlices.set(text, p);
    return p;
  }

  private snapshot(set: ObjectSet, read: string): readonly Obj[] {
    let s = this.snapshots.get(read);
    if (!s) {
      s = set.readObjects(read).map((o) => o.value);
      this.snapshots.set(read, s);
      this.valid.set(s, true);
    }
    return s;
  }

  private holds(set: ObjectSet, read: string, values: readonly Obj[]): boolean {
    let ok = this.valid.get(values);
    if (ok === undefined) {
      const now = set.readObjects(read);
      ok = now.length === values.length && now.every((o, i) => o.value === values[i]);
      this.valid.set(values, ok);
    }
    return ok;
  }
}
