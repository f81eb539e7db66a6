// `reconcile check`: schema and policy findings of the files under a path, or of rendered environments.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as packageJson from '../../package.json';
import { version } from '../../package.json';
import { createRenderer } from '../core/render';
import { helmTemplateNotes, SchemaChecks } from '../core/check/file-checks';
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
import { InputError, oneOf, parseArgs, pathArgument } from './args';
import { EXIT, type Io } from './main';
import { loadModel, toolsFrom, TOOL_OPTS } from './tools';

export async function checkCommand(argv: string[], io: Io): Promise<number> {
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
    add(helmTemplateNotes(files, read)); // templates are not YAML until rendered: said, not skipped silently
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

function linkFinding(file: string, message: string): Finding {
  return { code: 'repo/link-loop', severity: 'warning', message, file, range: FILE_START, source: 'repo' };
}
