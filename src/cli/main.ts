// `reconcile`: the command-line front end over src/core, for CI and pre-commit. One code path with
// the extension: the same discovery, the same renderers, the same cache rules.
// Exit codes: 0 ok, 1 findings, 2 usage or tool error.
import * as path from 'node:path';
import * as packageJson from '../../package.json';
import { version } from '../../package.json';
import { discoverWithChildren, type Application, type RepoModel } from '../core/repo';
import { createRenderer, resolveToolPaths, type RenderResult, type ToolPaths } from '../core/render';
import { kubeconfigPaths, readKubeconfig } from '../core/cluster/kubeconfig';
import { InputError, oneOf, parseArgs, pathArgument, UsageError } from './args';
import { driftCommand } from './drift';
import { diffCommand } from './diff';
import { metricsCommand } from './metrics';
import { planCommand } from './plan';
import * as fs from 'node:fs';
import { SchemaChecks } from '../core/check/file-checks';
import { checkEnvironment } from '../core/check/environment-checks';
import { failed, formatJson, formatText, type FailOn } from '../core/check/format';
import { findYamlFiles } from '../core/util/yaml-files';
import { readInputFile } from '../core/manifest/limits';
import { refusalFinding } from '../core/schema/validator';
import { dedupeFindings, type Finding } from '../core/findings';
import { loadPolicyContext } from '../core/check/policy-context';
import { ParsedText } from '../core/manifest/parsed-text';
import { FILE_START } from '../core/manifest/range';
import { checkEnvironment as checkEnvironmentPolicies, checkFile as checkFilePolicies, docsBaseFromRepository, environmentObjects, formatReport, mergeFindings } from '../core/policy';

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
  --fail-on LEVEL      exit 1 when a finding at or above LEVEL exists (check; default error)
  --context C          kubeconfig context of the cluster (drift, plan; default the environment's)
  --strategy S         drift: local (fast comparison, default) or server-side (dry-run apply)
  --kubernetes-version V   bundled schemas of this version (check; default the newest bundled)
  --output FILE        write the report to FILE instead of standard output (check, drift)
  --kubectl P, --kustomize P, --helm P
                       tool paths (default: $RECONCILE_KUBECTL, … then PATH)
  --kubeconfig P       kubeconfig used to map environments to contexts (default: $KUBECONFIG, ~/.kube/config)

Exit codes: 0 ok, 1 findings (problems in the repository, failed renders), 2 usage or tool error.
`;

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const TOOL_OPTS = { kubectl: 'value', kustomize: 'value', helm: 'value', kubeconfig: 'value' } as const;

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
      case 'envs':
        return await envsCommand(rest, { out, err, env, cwd });
      case 'render':
        return await renderCommand(rest, { out, err, env, cwd });
      case 'check':
        return await checkCommand(rest, { out, err, env, cwd });
      case 'drift':
        return await driftCommand(rest, { out, err, env, cwd });
      case 'diff':
        return await diffCommand(rest, { out, err, env, cwd });
      case 'metrics':
        return await metricsCommand(rest, { out, err, env, cwd });
      case 'plan':
        return await planCommand(rest, { out, err, env, cwd });
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

async function loadModel(args: ReturnType<typeof parseArgs>, io: Io, command: string, rootDir?: string): Promise<RepoModel> {
  const root = rootDir ?? pathArgument(args, io.cwd, command).path;
  const kube = await readKubeconfig(kubeconfigPaths(args.options.get('kubeconfig')?.at(-1), io.env));
  // Children of app-of-apps charts are known once their parent renders (core/repo/app-of-apps.ts).
  const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
  return discoverWithChildren(root, { kubeContexts: kube.contexts.map((c) => c.name), renderer });
}

async function envsCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { format: 'value', ...TOOL_OPTS });
  const format = oneOf(args, 'format', ['text', 'json'] as const, 'text');
  const model = await loadModel(args, io, 'envs');
  const problems = countProblems(model);
  if (format === 'json') {
    io.out.write(`${JSON.stringify(model, null, 2)}\n`);
  } else {
    const rel = (p: string) => path.relative(model.root, p) || '.';
    for (const e of model.errors) io.out.write(`${severityWord(e.severity)}: ${e.message}${e.location ? ` (${rel(e.location.file)}:${e.location.range.start.line + 1})` : ''}\n`);
    if (model.environments.length === 0) io.out.write(`No environments found in ${model.root}\n`);
    for (const env of model.environments) {
      const ctx = env.context ? `context ${env.context}${env.contextSource ? ` (from ${env.contextSource})` : ''}` : 'no context';
      io.out.write(`${env.name}  ${ctx}${env.namespaces.length ? `  namespaces ${env.namespaces.join(',')}` : ''}${env.protected ? '  protected' : ''}\n`);
      for (const e of env.errors) io.out.write(`  ${severityWord(e.severity)}: ${e.message}\n`);
      for (const app of env.applications) {
        io.out.write(`  ${app.name.padEnd(24)} ${app.sourceKind.padEnd(9)} ${app.renderer.kind.padEnd(11)} ${rel(app.root)}\n`);
        for (const e of app.errors) io.out.write(`    ${severityWord(e.severity)}: ${e.message}${e.location ? ` (${rel(e.location.file)}:${e.location.range.start.line + 1})` : ''}\n`);
        for (const r of app.remote ?? []) io.out.write(`    remote (not followed): ${r}\n`);
      }
    }
  }
  return problems > 0 ? EXIT.findings : EXIT.ok;
}

async function renderCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { env: 'value', app: 'value', timeout: 'value', ...TOOL_OPTS });
  const envName = args.options.get('env')?.at(-1);
  if (!envName) throw new UsageError('render needs --env E');
  const appName = args.options.get('app')?.at(-1);
  const model = await loadModel(args, io, 'render');
  const env = model.environments.find((e) => e.name === envName);
  if (!env) throw new InputError(`no environment '${envName}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
  let apps: Application[] = env.applications;
  if (appName) {
    apps = apps.filter((a) => a.name === appName || a.id === appName);
    if (apps.length === 0) throw new InputError(`no application '${appName}' in ${envName} (found: ${env.applications.map((a) => a.name).join(', ')})`);
  }
  const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
  const results: [Application, RenderResult][] = await Promise.all(apps.map(async (a) => [a, await renderer.renderApplication(a)] as [Application, RenderResult]));
  let failed = 0;
  let toolMissing = false;
  const chunks: string[] = [];
  for (const [app, r] of results) {
    if (r.ok) {
      chunks.push(`# ${env.name}/${app.name} (${app.renderer.kind})\n${r.yaml.trimEnd()}\n`);
      for (const n of r.notes ?? []) io.err.write(`reconcile: ${env.name}/${app.name}: note: ${n}\n`);
    } else if (r.error.code === 'remote-unavailable') {
      io.err.write(`reconcile: ${env.name}/${app.name}: note: ${r.error.message}\n`); // not the repository's fault: no failure
    } else {
      failed++;
      if (r.error.code === 'tool-not-found') toolMissing = true;
      const at = r.error.location ? ` (${path.relative(model.root, r.error.location.file)}:${r.error.location.range.start.line + 1})` : '';
      io.err.write(`reconcile: ${env.name}/${app.name}: ${r.error.message}${at}\n${r.error.stderr ? `${r.error.stderr.trimEnd()}\n` : ''}`);
    }
  }
  io.out.write(chunks.join('---\n'));
  if (toolMissing) return EXIT.error;
  return failed > 0 ? EXIT.findings : EXIT.ok;
}

async function checkCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { env: 'value', format: 'value', 'fail-on': 'value', 'kubernetes-version': 'value', output: 'value', ...TOOL_OPTS });
  const format = oneOf(args, 'format', ['text', 'json', 'sarif', 'junit'] as const, 'text');
  const failOn = oneOf(args, 'fail-on', ['error', 'warning', 'never'] as const, 'error') as FailOn;
  const { path: target, isDirectory } = pathArgument(args, io.cwd, 'check', { file: true });
  const envNames = args.options.get('env') ?? [];
  if (envNames.length > 0 && !isDirectory) throw new InputError(`${target} is a file; check --env needs the repository's folder`);
  const root = isDirectory ? target : path.dirname(target);
  const checks = new SchemaChecks({ kubernetesVersion: args.options.get('kubernetes-version')?.at(-1) }, { filesDoNotChange: true });
  const links: Finding[] = [];
  const files = isDirectory ? findYamlFiles([target], 200_000, (file, message) => links.push(linkFinding(file, message))).sort() : [target];
  // Each file is read once, screened by the input limits (manifest/limits.ts): for the CRDs it may
  // define, then for its checks. A file past a limit is not parsed; it gets the limit's finding.
  const inputs = new Map<string, ReturnType<typeof readInputFile>>();
  const input = (f: string) => {
    let r = inputs.get(f);
    if (!r) inputs.set(f, (r = readInputFile(f)));
    return r;
  };
  const read = (f: string) => input(f).text;
  checks.learnCrds(files, read);
  const policy = loadPolicyContext(root, read);
  const findings: Finding[] = [...policy.problems, ...links];
  const add = (more: Finding[]) => {
    for (const f of more) findings.push(f); // not push(...more): a big file can have more findings than a call takes arguments
  };
  let checked = 0;
  if (envNames.length === 0) {
    for (const f of files) {
      const r = input(f);
      if (r.refusal) {
        findings.push({ ...refusalFinding(r.refusal), file: f });
        checked++;
        continue;
      }
      if (r.text === undefined) {
        io.err.write(`reconcile: cannot read ${f}: ${r.error}\n`);
        return EXIT.error;
      }
      const text = r.text;
      const parsed = new ParsedText(text); // parsed once for both engines
      add(checks.check(f, text, parsed));
      add(checkFilePolicies(f, text, policy.options, parsed));
      checked++;
    }
  } else {
    const model = await loadModel(args, io, 'check', root);
    const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
    for (const name of envNames) {
      const env = model.environments.find((e) => e.name === name);
      if (!env) throw new InputError(`no environment '${name}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
      const r = await checkEnvironment(env, renderer, checks.registry);
      if (r.findings.some((f) => f.code === 'render/tool-not-found')) {
        io.err.write(`reconcile: ${r.findings.find((f) => f.code === 'render/tool-not-found')!.message}\n`);
        return EXIT.error;
      }
      add(r.findings);
      const info = { name: env.name, protected: env.protected, namespaces: env.namespaces };
      const objects = environmentObjects(r.rendered.map((x) => ({ application: x.app, documents: x.result.documents })));
      const schemaOf = (g: string, v: string, k: string) => checks.registry.jsonSchemaFor(g, v, k);
      add(mergeFindings([], checkEnvironmentPolicies(info, objects, { ...policy.options, environment: info, schemaOf })));
      checked += r.rendered.length;
    }
  }
  const unique = dedupeFindings(findings);
  const report =
    format === 'json' ? formatJson(unique, root)
    : format === 'text' ? formatText(unique, root, checked)
    : formatReport(format, unique, { root, version, failOn, docsBaseUrl: docsBaseFromRepository((packageJson as Record<string, unknown>).repository) });
  const output = args.options.get('output')?.at(-1);
  if (output) fs.writeFileSync(path.resolve(io.cwd, output), report);
  else io.out.write(report);
  return failed(unique, failOn) ? EXIT.findings : EXIT.ok;
}

/** --kubectl/--kustomize/--helm, else $RECONCILE_KUBECTL…; a relative path is taken from the working directory. */
export function toolsFrom(args: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv, cwd = process.cwd()): ToolPaths {
  return resolveToolPaths(
    {
      kubectl: args.options.get('kubectl')?.at(-1) ?? env.RECONCILE_KUBECTL,
      kustomize: args.options.get('kustomize')?.at(-1) ?? env.RECONCILE_KUSTOMIZE,
      helm: args.options.get('helm')?.at(-1) ?? env.RECONCILE_HELM,
    },
    cwd,
  );
}

function linkFinding(file: string, message: string): Finding {
  return { code: 'repo/link-loop', severity: 'warning', message, file, range: FILE_START, source: 'repo' };
}

function severityWord(s: string | undefined): string {
  return s === 'info' ? 'note' : s === 'warning' ? 'warning' : 'error';
}

function countProblems(model: RepoModel): number {
  const bad = (e: { severity?: string }) => (e.severity ?? 'error') === 'error';
  return (
    model.errors.filter(bad).length +
    model.environments.reduce((n, env) => n + env.errors.filter(bad).length + env.applications.reduce((m, a) => m + a.errors.filter(bad).length, 0), 0)
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`reconcile: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.error;
    },
  );
}
