// src/core/policy: the rule engine (built-in rules, the repository's ValidatingAdmissionPolicies
// in CEL, secret scanning, suppressions, quick fixes) and the CI report formats.
//
//   checkFile(file, text, options)              one file while it is edited
//     (…, parsed, cache: PolicyFileCache)        an open document: re-checks only what an edit changed
//   checkFiles(files, options)                  many files (CI)
//   checkEnvironment(env, objects, options)     a rendered environment (environmentObjects(…) builds the input)
//   loadPolicies(files) / findPolicyFiles(root, policyPaths) / policyProblems(set)
//   formatReport(format, findings, { root })    text | json | sarif | junit
//   celEvaluator                                 the CEL wrapper shared with CRD x-kubernetes-validations
export { PolicyFileCache, type PolicyCacheStats } from './file-cache';
export { checkFile, checkFiles, checkEnvironment, environmentObjects, mergeFindings, policyProblems, sortFindings, type EnvironmentObject } from './engine';
export { loadPolicies, findPolicyFiles, PolicySet, expressionLocation, VAP_VARIABLES, type AdmissionPolicy, type AdmissionBinding, type PolicyProblem } from './admission';
export { BUILTIN_RULES, VAP_PREFIX, ruleMeta, ruleDocsPath, ruleDocsUrl, ruleTitle, isVapViolationCode, type RuleMeta, type RuleCategory, type PssLevel } from './rules';
export { resolveSeverity, isDisabled, pssSeverityFromLabels } from './settings';
export { IGNORE_ANNOTATION, REASON_PLACEHOLDER, parseSuppressions, suppressionsOf, type Suppression } from './suppress';
export { scanText, looksRandom, externalSecretFor, isSopsEncrypted, type TextSecret } from './secrets';
export { applyEdits, setFields, replaceDocument, type EditTarget, type FieldValue } from './yaml-edit';
export {
  formatReport, formatText, formatJson, formatSarif, formatJunit, toSarif, summarize, failsOn, REPORT_FORMATS, docsBaseFromRepository, SARIF_SCHEMA_URI,
  type ReportFormat, type ReportOptions, type Summary,
} from './report';
export type { PolicyOptions, EnvironmentInfo, ApplicationInfo, RepoAccess, Violation } from './types';
export { parseQuantity, compareQuantities, Quantity } from './cel/quantity';
export * as celEvaluator from './cel/evaluator';
