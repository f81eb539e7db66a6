// The `reconcile` executable (dist/cli.js loads this bundle): runs main() on the process's arguments.
// Only main.ts and the argument parser load up front; each command's code is imported when it runs.
import { runAsProcess } from './main';

runAsProcess(process.argv.slice(2));
