// Time for the metrics: periods as people write them (`90d`, `12w`, `6m`, `1y`, a date) and ISO weeks
// (Monday to Sunday, UTC).

const DAY = 86_400_000;

export class PeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeriodError';
  }
}

/**
 * A point in time: `90d`, `12w`, `6m` (30 days each), `1y` (365 days) before `now`; an ISO date or date-time;
 * ms since the epoch; a Date.
 */
export function parseTime(v: string | number | Date, now: number, what = 'since'): number {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new PeriodError(`--${what}: invalid date`);
    return v.getTime();
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PeriodError(`--${what}: invalid time ${v}`);
    return v;
  }
  const s = v.trim();
  const rel = /^(\d+)\s*(d|w|m|y)$/i.exec(s);
  if (rel) {
    const n = Number(rel[1]);
    const unit = rel[2].toLowerCase();
    const days = unit === 'd' ? n : unit === 'w' ? n * 7 : unit === 'm' ? n * 30 : n * 365;
    return now - days * DAY;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
    const t = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
    if (!Number.isNaN(t)) return t;
  }
  throw new PeriodError(`--${what} '${v}' is not a period (like 90d, 12w, 6m, 1y) or a date (YYYY-MM-DD)`);
}

export function toTime(v: string | number): number {
  return typeof v === 'number' ? v : Date.parse(v);
}

export interface IsoWeek {
  key: string;
  /** Monday 00:00 UTC, ms. */
  start: number;
}

/** The ISO week a time falls in. */
export function isoWeek(ms: number): IsoWeek {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - day * DAY;
  const thursday = new Date(monday + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY;
  const n = 1 + Math.round((monday - week1) / (7 * DAY));
  return { key: `${year}-W${String(n).padStart(2, '0')}`, start: monday };
}

/** Every ISO week that overlaps [from, to], oldest first. */
export function weeksBetween(from: number, to: number): IsoWeek[] {
  const out: IsoWeek[] = [];
  for (let w = isoWeek(from); w.start <= to; w = isoWeek(w.start + 7 * DAY)) out.push(w);
  return out;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const DAY_MS = DAY;
