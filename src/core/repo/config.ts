// `.reconcile.yaml` at the repository root: environments (paths, context, namespaces, protected),
// drift ignore rules and policy settings. Validated by hand against the shape that
// reconcile-config.schema.json describes, with an error (and its range) per problem; what is
// valid is kept, what is not is dropped.
import * as path from 'node:path';
import { parseManifests, rangeOfPath, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { FILE_START, type SourceLocation } from '../manifest/range';
import type { EnvironmentConfig, IgnoreRule, PolicyConfig, PolicyRuleConfig, PolicySeverity, RepoConfig, RepoError } from './model';
import { isRecord } from '../util/record';

export const CONFIG_FILE = '.reconcile.yaml';
const SEVERITIES: readonly PolicySeverity[] = ['error', 'warning', 'info', 'hint'];
const ENV_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** Parses and validates the text of a `.reconcile.yaml` (file: its absolute path, for locations). */
export function parseRepoConfig(text: string, file: string): { config: RepoConfig; errors: RepoError[] } {
  const config: RepoConfig = { file, environments: [], ignore: [], policy: { rules: {}, policyPaths: [], externalNames: [] } };
  const errors: RepoError[] = [];
  const mf: ManifestFile = parseManifests(text);
  for (const e of mf.errors.filter((x) => x.severity === 'error')) {
    errors.push({ code: 'config', message: `${CONFIG_FILE}: ${e.message}`, location: { file, range: e.range } });
  }
  const docs = mf.documents.filter((d) => d.shape !== 'empty');
  if (docs.length === 0) return { config, errors };
  const doc: ManifestDocument = docs[0];
  if (docs.length > 1) errors.push({ code: 'config', message: `${CONFIG_FILE} must hold one YAML document; the others are ignored`, location: { file, range: docs[1].range } });
  const loc = (p: Array<string | number>, key = false): SourceLocation => ({ file, range: rangeOfPath(mf, doc, p, { key }) ?? doc.contentRange ?? FILE_START });
  const bad = (p: Array<string | number>, message: string, key = false) => errors.push({ code: 'config', message: `${CONFIG_FILE}: ${message}`, location: loc(p, key) });
  const root = doc.value;
  if (!isRecord(root)) {
    if (root !== undefined && root !== null) bad([], 'must be a mapping with `environments`, `ignore` and `policy`');
    return { config, errors };
  }
  const known = new Set(['environments', 'ignore', 'policy', 'version', '$schema']);
  for (const k of Object.keys(root)) if (!known.has(k)) bad([k], `unknown key '${k}' (expected environments, ignore, policy)`, true);

  const strings = (v: unknown, p: Array<string | number>, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) {
      bad(p, `${what} must be a list of strings`);
      return [];
    }
    return v.filter((x, i) => {
      if (typeof x === 'string') return true;
      bad([...p, i], `${what} must be strings`);
      return false;
    }) as string[];
  };

  // environments
  const envs = root.environments;
  if (envs !== undefined && envs !== null) {
    if (!Array.isArray(envs)) bad(['environments'], 'environments must be a list of { name, paths, context, namespaces, protected }');
    else {
      const names = new Set<string>();
      envs.forEach((e, i) => {
        const p = ['environments', i];
        if (!isRecord(e)) return bad(p, 'each environment must be a mapping');
        for (const k of Object.keys(e)) {
          if (!['name', 'paths', 'context', 'namespaces', 'protected'].includes(k)) bad([...p, k], `unknown key '${k}' in environment (expected name, paths, context, namespaces, protected)`, true);
        }
        if (typeof e.name !== 'string' || !ENV_NAME_RE.test(e.name)) return bad(e.name === undefined ? p : [...p, 'name'], 'environment needs a `name` (letters, digits, ".", "_", "-")');
        if (names.has(e.name)) return bad([...p, 'name'], `environment '${e.name}' is defined twice`);
        names.add(e.name);
        const env: EnvironmentConfig = { name: e.name, paths: strings(e.paths, [...p, 'paths'], 'paths'), namespaces: strings(e.namespaces, [...p, 'namespaces'], 'namespaces'), location: loc(p) };
        if (e.context !== undefined) {
          if (typeof e.context === 'string' && e.context) env.context = e.context;
          else bad([...p, 'context'], 'context must be the name of a kubeconfig context');
        }
        if (e.protected !== undefined) {
          if (typeof e.protected === 'boolean') env.protected = e.protected;
          else bad([...p, 'protected'], 'protected must be true or false');
        }
        config.environments.push(env);
      });
    }
  }
  const envNames = new Set(config.environments.map((e) => e.name));
  const checkEnvList = (v: unknown, p: Array<string | number>): string[] | undefined => {
    if (v === undefined) return undefined;
    const list = strings(v, p, 'environments');
    list.forEach((n, i) => {
      if (envNames.size && !envNames.has(n)) bad([...p, i], `unknown environment '${n}' (defined: ${[...envNames].join(', ')})`);
    });
    return list;
  };

  // ignore
  const ignore = root.ignore;
  if (ignore !== undefined && ignore !== null) {
    if (!Array.isArray(ignore)) bad(['ignore'], 'ignore must be a list of { group, kind, name, namespace, jsonPointers, jqPathExpressions, environments }');
    else {
      ignore.forEach((r, i) => {
        const p = ['ignore', i];
        if (!isRecord(r)) return bad(p, 'each ignore rule must be a mapping');
        const allowed = ['group', 'kind', 'name', 'namespace', 'jsonPointers', 'jqPathExpressions', 'managedFieldsManagers', 'environments'];
        for (const k of Object.keys(r)) if (!allowed.includes(k)) bad([...p, k], `unknown key '${k}' in ignore rule (expected ${allowed.join(', ')})`, true);
        const rule: IgnoreRule = {
          jsonPointers: strings(r.jsonPointers, [...p, 'jsonPointers'], 'jsonPointers'),
          jqPathExpressions: strings(r.jqPathExpressions, [...p, 'jqPathExpressions'], 'jqPathExpressions'),
          managedFieldsManagers: strings(r.managedFieldsManagers, [...p, 'managedFieldsManagers'], 'managedFieldsManagers'),
          location: loc(p),
        };
        for (const k of ['group', 'kind', 'name', 'namespace'] as const) {
          if (r[k] === undefined) continue;
          if (typeof r[k] === 'string') rule[k] = r[k] as string;
          else bad([...p, k], `${k} must be a string`);
        }
        rule.jsonPointers.forEach((jp, j) => {
          if (jp !== '' && !jp.startsWith('/')) bad([...p, 'jsonPointers', j], `'${jp}' is not a JSON pointer (it must start with '/')`);
        });
        if (!rule.jsonPointers.length && !rule.jqPathExpressions.length && !rule.managedFieldsManagers.length) {
          bad(p, 'ignore rule needs jsonPointers, jqPathExpressions or managedFieldsManagers');
          return;
        }
        const envList = checkEnvList(r.environments, [...p, 'environments']);
        if (envList) rule.environments = envList;
        config.ignore.push(rule);
      });
    }
  }

  // policy
  const policy = root.policy;
  if (policy !== undefined && policy !== null) {
    if (!isRecord(policy)) bad(['policy'], 'policy must be a mapping with `rules` and `policyPaths`');
    else {
      for (const k of Object.keys(policy)) if (!['rules', 'policyPaths', 'externalNames'].includes(k)) bad(['policy', k], `unknown key '${k}' in policy (expected rules, policyPaths, externalNames)`, true);
      const out: PolicyConfig = config.policy;
      out.policyPaths = strings(policy.policyPaths, ['policy', 'policyPaths'], 'policyPaths');
      out.externalNames = strings(policy.externalNames, ['policy', 'externalNames'], 'externalNames');
      const rules = policy.rules;
      if (rules !== undefined && rules !== null) {
        if (!isRecord(rules)) bad(['policy', 'rules'], 'policy.rules must map rule ids to { disable, severity, environments }');
        else {
          for (const [id, v] of Object.entries(rules)) {
            const p = ['policy', 'rules', id];
            const rule = parseRuleSetting(v, p, bad, true);
            if (!rule) continue;
            if (isRecord(v) && v.environments !== undefined) {
              if (!isRecord(v.environments)) bad([...p, 'environments'], 'environments must map environment names to { disable, severity }');
              else {
                rule.environments = {};
                for (const [envName, ev] of Object.entries(v.environments)) {
                  if (envNames.size && !envNames.has(envName)) bad([...p, 'environments', envName], `unknown environment '${envName}'`, true);
                  const r = parseRuleSetting(ev, [...p, 'environments', envName], bad, false);
                  if (r) rule.environments[envName] = { disable: r.disable, severity: r.severity };
                }
              }
            }
            out.rules[id] = rule;
          }
        }
      }
    }
  }
  return { config, errors };
}

function parseRuleSetting(
  v: unknown,
  p: Array<string | number>,
  bad: (p: Array<string | number>, m: string, key?: boolean) => void,
  allowEnvs: boolean,
): PolicyRuleConfig | undefined {
  // Shorthands: `rule: off`, `rule: warning`, `rule: false`.
  if (v === false || v === 'off') return { disable: true };
  if (v === true || v === 'on') return { disable: false };
  if (typeof v === 'string') {
    if ((SEVERITIES as readonly string[]).includes(v)) return { severity: v as PolicySeverity };
    bad(p, `severity '${v}' is not one of ${SEVERITIES.join(', ')}, off`);
    return undefined;
  }
  if (!isRecord(v)) {
    bad(p, 'a rule setting is a severity, `off`, or { disable, severity' + (allowEnvs ? ', environments }' : ' }'));
    return undefined;
  }
  const out: PolicyRuleConfig = {};
  for (const k of Object.keys(v)) {
    if (!['disable', 'severity', ...(allowEnvs ? ['environments'] : [])].includes(k)) bad([...p, k], `unknown key '${k}' in rule setting`, true);
  }
  if (v.disable !== undefined) {
    if (typeof v.disable === 'boolean') out.disable = v.disable;
    else bad([...p, 'disable'], 'disable must be true or false');
  }
  if (v.severity !== undefined) {
    if (typeof v.severity === 'string' && (SEVERITIES as readonly string[]).includes(v.severity)) out.severity = v.severity as PolicySeverity;
    else bad([...p, 'severity'], `severity must be one of ${SEVERITIES.join(', ')}`);
  }
  return out;
}

export function configPathOf(root: string): string {
  return path.join(root, CONFIG_FILE);
}
