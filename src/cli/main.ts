// `reconcile`: the command-line front end over src/core, for CI and pre-commit. One code path with
// the extension: the same discovery, the same renderers, the same cache rules.
// Exit codes: 0 ok, 1 findings, 2 usage or tool error.
import { version } from '../../package.json';
import { UsageError } from './args';

export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

const USAGE = `reconcile ${version}: GitOps checks for Kubernetes repositories

Usage:
  reconcile envs   [path] [--format text|json]
  reconcile render [path] --env E [--app A]
  reconcile check  [path] [--env E]... [--format text|json|sarif|junit] [--fail-on error|warning|never]
  reconcile drift  [path] --env E [--context C] [--format text|json|md] [--strategy local|server-side]
  reconcile diff   [path] [--base REV] [--head REV|WORKTREE] [--env E]... [--format text|md|json]
  reconcile metrics [path] [--since 90d] [--until DATE] [--branch B] [--incidents FILE] [--format text|md|json]
  reconcile plan   [path] --env E [--context C] [--format text|md|json] [--output FILE]
  reconcile help | version

Commands:
  envs      List the environments and applications found in path (default: .), with their
            cluster context and any problem found. No tool is run.
  render    Render the applications of environment E (or only A) with kustomize/helm and print
            the manifests as one YAML stream.

  check     Check the YAML files under path (as they are, like the editor while you type) or,
            with --env, the rendered output of those environments: Kubernetes and CRD schemas,
            built-in policies (Pod Security, practices, references, GitOps hygiene), secrets, and
            the repository's own ValidatingAdmissionPolicies, with .reconcile.yaml's policy
            settings and reconcile.dev/ignore suppressions. The same engine as the editor.
  drift     Compare environment E, rendered from Git, with its cluster (the context of E in
            .reconcile.yaml, or --context): drifted fields with the field manager that changed
            them, resources missing from the cluster, and live objects that carry the
            environment's marks but are not in Git. For cron jobs: exit 0 in sync, 1 drift,
            2 when drift could not be verified — a render failure, the cluster unreachable, or
            no permission to read some resources (they are listed as "no permission to read").
  diff      Render every environment whose inputs changed at two revisions (temporary git
            worktrees, always removed) and list the resources added, removed or changed, with
            field-level changes and Secret values masked. --base defaults to the merge-base with the
            default branch (origin/HEAD, main, master), --head to HEAD (WORKTREE: the files as they
            are). --format md fits a pull-request comment. Exit 0 no changes, 1 changes, 2 error.
  metrics   GitOps metrics per ISO week from the default branch's first-parent history, overall
            and per environment: deployment frequency, lead time, change failure rate (reverted
            or fixed within --failure-window days, default 7), time to restore; plus drift
            incidents from --incidents FILE (JSON). --since: 30d, 12w, 6m, 1y or a date.
  plan      What a sync of environment E would do, as its cluster says (server-side dry-run of
            every resource): create, update (field by field, Secret values masked), unchanged,
            failed with the server's own message, and prune candidates (live objects with the
            environment's marks that are not in Git). Exit 0 nothing to change, 1 changes,
            2 error or a failed dry-run.

Options:
  --format F           output format: envs text|json; check text|json|sarif|junit (default text)
  --env E              environment name (render)
  --app A              application name or id (render)
  --fail-on LEVEL      exit 1 when a finding at or above LEVEL exists (check; default error);
                       warning also fails on anything not checked
  --context C          kubeconfig context of the cluster (drift, plan; default the environment's)
  --strategy S         drift: local (fast comparison, default) or server-side (dry-run apply)
  --kubernetes-version V   bundled schemas of this version (check; default the newest bundled)
  --output FILE        write the report to FILE instead of standard output (check, drift)
  --kubectl P, --kustomize P, --helm P
                       tool paths (default: $RECONCILE_KUBECTL, … then PATH)
  --kubeconfig P       kubeconfig used to map environments to contexts (default: $KUBECONFIG, ~/.kube/config)

Exit codes: 0 ok, 1 findings (problems in the repository, failed renders), 2 usage or tool error,
or a path that is missing or a file where a folder is expected.
`;

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const { out = process.stdout, err = process.stderr, env = process.env, cwd = process.cwd() } = io;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.write(USAGE);
        return EXIT.ok;
      case 'version':
      case '--version':
      case '-v':
        out.write(`${version}\n`);
        return EXIT.ok;
      // Each command's code is loaded only when it runs (the CLI bundle is split per command: esbuild.js).
      case 'envs':
        return await (await import('./envs')).envsCommand(rest, { out, err, env, cwd });
      case 'render':
        return await (await import('./render')).renderCommand(rest, { out, err, env, cwd });
      case 'check':
        return await (await import('./check')).checkCommand(rest, { out, err, env, cwd });
      case 'drift':
        return await (await import('./drift')).driftCommand(rest, { out, err, env, cwd });
      case 'diff':
        return await (await import('./diff')).diffCommand(rest, { out, err, env, cwd });
      case 'metrics':
        return await (await import('./metrics')).metricsCommand(rest, { out, err, env, cwd });
      case 'plan':
        return await (await import('./plan')).planCommand(rest, { out, err, env, cwd });
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    // The usage text only when the command line itself is wrong; anything else is one line.
    if (e instanceof UsageError) {
      err.write(`reconcile: ${e.message}\n\n${USAGE}`);
      return EXIT.error;
    }
    err.write(`reconcile: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return EXIT.error;
  }
}

/** Runs main() as the process: its exit code becomes the process's, an unexpected error one line and exit 2. */
export function runAsProcess(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`reconcile: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.error;
    },
  );
}

// Run as a CommonJS bundle of its own (test/unit/invocation); dist/cli.js runs src/cli/bin.ts instead.
if (typeof module !== 'undefined' && require.main === module) {
  runAsProcess(process.argv.slice(2));
}
