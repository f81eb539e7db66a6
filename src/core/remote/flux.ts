// The remote chart a Flux HelmRelease names, as helm-controller and source-controller resolve it:
// `spec.chart.spec` with a HelmRepository (type default: an index.yaml repository; type oci: a
// registry), or `spec.chartRef` to an OCIRepository (the chart artifact itself; ref.semver before
// ref.tag, `latest` by default) or a HelmChart (its chart, version and HelmRepository). The chart is
// pulled at render time (chart.ts). Values files of `chart.spec.valuesFiles` are files of the chart.
import type { RemoteChartSpec } from '../repo/model';
import { isRecord } from '../util/record';
import { parseRange } from './semver';

type Spec = Record<string, unknown> | undefined;
const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export type FluxChart = { ok: true; remoteChart: RemoteChartSpec } | { ok: false; reason: string };

/** A chart of a HelmRepository (`repository` is its spec; undefined when it is not in the repository). */
export function helmRepositoryChart(repository: Spec, chart: string, version: string | undefined, valuesFiles: string[] = [], ignoreMissing = false): FluxChart {
  const url = s(repository?.url);
  if (!url) return { ok: false, reason: `its HelmRepository is not in this repository (its URL is unknown)` };
  const oci = repository?.type === 'oci' || /^oci:\/\//i.test(url);
  if (oci && !/^oci:\/\//i.test(url)) return { ok: false, reason: `HelmRepository of type oci has URL ${url}, not oci://` };
  return {
    ok: true,
    remoteChart: {
      repoURL: url,
      chart,
      ...(s(version) && version !== '*' ? { version } : {}),
      ...(repository?.insecure === true ? { insecure: true } : {}),
      ...(valuesFiles.length ? { chartValueFiles: valuesFiles, valuesFilesReplaceDefaults: true } : {}),
      ...(ignoreMissing ? { ignoreMissingValueFiles: true } : {}),
    },
  };
}

/** The chart artifact of an OCIRepository (`oci://host/path/chart`), at ref.semver, else ref.tag, else `latest`. */
export function ociRepositoryChart(repository: Spec): FluxChart {
  const url = s(repository?.url)?.replace(/\/+$/, '');
  if (!url) return { ok: false, reason: `its OCIRepository is not in this repository (its URL is unknown)` };
  if (!/^oci:\/\//i.test(url)) return { ok: false, reason: `OCIRepository URL ${url} is not oci://` };
  const ref = isRecord(repository?.ref) ? repository.ref : {};
  if (s(ref.digest) && !s(ref.semver) && !s(ref.tag)) return { ok: false, reason: `OCIRepository ref.digest (${ref.digest}) is not resolved by Reconcile; give a tag or semver` };
  const version = s(ref.semver) ?? s(ref.tag) ?? 'latest';
  if (!parseRange(version)) return { ok: false, reason: `OCIRepository tag '${version}' is not a chart version (helm pulls charts by version)` };
  const at = url.lastIndexOf('/');
  return {
    ok: true,
    remoteChart: { repoURL: url.slice(0, at), chart: url.slice(at + 1), version, ...(repository?.insecure === true ? { insecure: true } : {}) },
  };
}

/** A HelmChart object's chart (`spec.chart`, `spec.version`, `spec.valuesFiles`) from its HelmRepository. */
export function helmChartChart(helmChart: Spec, repositoryOf: (kind: string, name: string) => Spec): FluxChart {
  const chart = s(helmChart?.chart);
  const ref = isRecord(helmChart?.sourceRef) ? helmChart.sourceRef : {};
  if (!chart) return { ok: false, reason: 'its HelmChart is not in this repository, or has no spec.chart' };
  if ((s(ref.kind) ?? 'HelmRepository') !== 'HelmRepository') return { ok: false, reason: `HelmChart from a ${s(ref.kind)} is not fetched by Reconcile` };
  const files = Array.isArray(helmChart?.valuesFiles) ? helmChart.valuesFiles.filter((f): f is string => typeof f === 'string') : [];
  return helmRepositoryChart(repositoryOf('HelmRepository', s(ref.name) ?? ''), chart, s(helmChart?.version), files, helmChart?.ignoreMissingValuesFiles === true);
}
