/** See demo-history.mjs. */
export function writeHistory(dir: string, options?: { now?: number; seed?: number; weeks?: number }): { commits: number; pullRequests: number };
