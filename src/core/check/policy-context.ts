// What policy checks need to know about a repository: its .reconcile.yaml policy section and its own
// ValidatingAdmissionPolicies. Loaded the same way by the language server and the CLI.
import * as path from 'node:path';
import type { Finding } from '../findings';
import { findPolicyFiles, loadPolicies, policyProblems, type PolicyOptions, type PolicySet } from '../policy';
import { CONFIG_FILE, parseRepoConfig, type RepoConfig } from '../repo';
import { revisionPaths } from '../git/revision-paths';
import { readTextOrUndefined } from '../util/files';

export interface PolicyContext {
  root: string;
  config?: RepoConfig;
  policyFiles: string[];
  policies: PolicySet;
  /** Options for checkFile/checkEnvironment of this repository. */
  options: PolicyOptions;
  /** The policies' own problems (invalid CEL, missing params), on the policy files. */
  problems: Finding[];
}

export function loadPolicyContext(root: string, readFile: (file: string) => string | undefined = readTextOrUndefined): PolicyContext {
  const configFile = path.join(root, CONFIG_FILE);
  const configText = readFile(configFile);
  const config = configText === undefined ? undefined : parseRepoConfig(configText, configFile).config;
  const policyFiles = findPolicyFiles(root, config?.policy.policyPaths ?? []);
  const policies = loadPolicies(policyFiles.map((file) => ({ file, text: readFile(file) })));
  // gitops/missing-path: a path at another branch than the work tree's is looked for in git
  const git = revisionPaths(root);
  const options: PolicyOptions = {
    config: config?.policy,
    externalNames: config?.policy.externalNames ?? [],
    policies,
    repo: { root, atRevision: (rev, rel) => git.at(rev, rel), worktreeRevisions: () => git.worktreeRevisions() },
    readFile,
  };
  return { root, config, policyFiles, policies, options, problems: policyProblems(policies, options) };
}
