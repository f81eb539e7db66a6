// Shared by the benches: medians, and rows printed as a table and as JSON for bench/run.mjs.
export interface BenchRow {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  /** Ratio against the peer measured in the same run, and what it divides. */
  ratio?: number;
  ratioLabel?: string;
  target?: string;
  ok?: boolean;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Prints the rows for the runner: one JSON line per row, prefixed so that the runner can collect them. */
export function report(rows: BenchRow[], note?: string): void {
  if (note) console.log(`# ${note}`);
  for (const r of rows) console.log(`BENCH ${JSON.stringify(r)}`);
}
