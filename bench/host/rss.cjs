// Preloaded into a benched process (`node -r bench/host/rss.cjs …`): on exit, writes its peak RSS
// (KiB, process.resourceUsage().maxRSS) to the file named by RECONCILE_BENCH_RSS_FILE.
const file = process.env.RECONCILE_BENCH_RSS_FILE;
if (file) process.on('exit', () => require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS)));
