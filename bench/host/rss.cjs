// Preloaded into a benched process (`node -r bench/host/rss.cjs …`): on exit, writes its peak RSS
// (KiB, process.resourceUsage().maxRSS) and its CPU time (ms, user + system) to the file named by
// RECONCILE_BENCH_RSS_FILE, as "<maxRSS KiB> <cpu ms>".
const file = process.env.RECONCILE_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    require('node:fs').writeFileSync(file, `${u.maxRSS} ${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}`);
  });
}
