// The cache of remote sources: each chart pulled once, under
//   <cacheDir>/charts/<hash of URL and chart>/<version>/<digest>/chart/   (the unpacked chart)
//   <cacheDir>/charts/<hash of URL and chart>/<version>/<digest>/pulled.json
// keyed by the URL (without credentials), the chart, the version and the digest. pulled.json says what
// it is and when it was pulled, so that offline the last pull can be used and named as such.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withoutCredentials } from './redact';

export interface PulledChart {
  /** The repository URL or OCI reference, without credentials. */
  url: string;
  chart: string;
  version: string;
  digest: string;
  /** ISO time of the pull. */
  pulledAt: string;
  /** The unpacked chart folder. */
  chartDir: string;
}

/** The CLI's cache of remote sources: $XDG_CACHE_HOME/reconcile/remote, else ~/.cache/reconcile/remote. */
export function defaultRemoteCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RECONCILE_REMOTE_CACHE) return env.RECONCILE_REMOTE_CACHE;
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'reconcile', 'remote');
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
/** A folder name for a version or digest as written (no separators, no dots alone). */
const segment = (s: string) => s.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_') || '_';

export class ChartCache {
  constructor(readonly dir: string) {}

  private chartRoot(url: string, chart: string): string {
    return path.join(this.dir, 'charts', hash(`${withoutCredentials(url)}\n${chart}`));
  }

  /** The folder a pull of this chart, version and digest is kept in. */
  entryDir(url: string, chart: string, version: string, digest: string): string {
    return path.join(this.chartRoot(url, chart), segment(version), segment(digest));
  }

  /** Every pull of the chart in the cache (any version), newest pull first. */
  pulls(url: string, chart: string): PulledChart[] {
    const root = this.chartRoot(url, chart);
    const out: PulledChart[] = [];
    for (const v of readdir(root)) {
      for (const d of readdir(path.join(root, v))) {
        const entry = path.join(root, v, d);
        try {
          const meta = JSON.parse(fs.readFileSync(path.join(entry, 'pulled.json'), 'utf8')) as Omit<PulledChart, 'chartDir'>;
          const chartDir = path.join(entry, 'chart');
          if (fs.existsSync(path.join(chartDir, 'Chart.yaml'))) out.push({ ...meta, chartDir });
        } catch {
          /* an interrupted pull: not used */
        }
      }
    }
    return out.sort((a, b) => (a.pulledAt < b.pulledAt ? 1 : a.pulledAt > b.pulledAt ? -1 : 0));
  }

  /** The pull of exactly this version (and digest, when known). */
  find(url: string, chart: string, version: string, digest?: string): PulledChart | undefined {
    return this.pulls(url, chart).find((p) => p.version === version && (digest === undefined || p.digest === digest));
  }

  /**
   * Moves an unpacked chart into the cache and records it. `unpacked` is the chart folder (with its
   * Chart.yaml); it is renamed, so it must be on the same file system (a folder made by tempDir()).
   */
  store(url: string, chart: string, version: string, digest: string, unpacked: string, now = new Date()): PulledChart {
    const entry = this.entryDir(url, chart, version, digest);
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    const staging = `${entry}.tmp-${process.pid}-${Date.now()}`;
    fs.mkdirSync(staging, { recursive: true });
    fs.renameSync(unpacked, path.join(staging, 'chart'));
    const meta = { url: withoutCredentials(url), chart, version, digest, pulledAt: now.toISOString() };
    fs.writeFileSync(path.join(staging, 'pulled.json'), JSON.stringify(meta, null, 2) + '\n');
    fs.rmSync(entry, { recursive: true, force: true });
    fs.renameSync(staging, entry);
    return { ...meta, chartDir: path.join(entry, 'chart') };
  }

  /** A fresh folder inside the cache (same file system as the entries), removed by the caller. */
  tempDir(): string {
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    return fs.mkdtempSync(path.join(this.dir, 'tmp', 'pull-'));
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => !n.includes('.tmp-'));
  } catch {
    return [];
  }
}
