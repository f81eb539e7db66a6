// The `reconcile` executable (dist/cli.js loads this bundle): runs main() on the process's arguments.
// Only main.ts and the argument parser load up front; each command's code is imported when it runs.
import { EXIT, main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`reconcile: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.error;
  },
);
