// Remote sources (charts from Helm repositories and OCI registries), fetched with the user's own tools
// into a cache, in trusted workspaces only. See chart.ts.
export { ChartCache, defaultRemoteCacheDir, type PulledChart } from './cache';
export { RemoteCharts, resolveRemoteChart, describeChart, isOciRef, type ChartResolution, type RemoteChartRef, type RemoteFetchOptions } from './chart';
export { redact, withoutCredentials } from './redact';
export { highestMatching, isExactVersion, parseRange, parseVersion, satisfies, compareVersions } from './semver';
export { helmChartChart, helmRepositoryChart, ociRepositoryChart, type FluxChart } from './flux';
