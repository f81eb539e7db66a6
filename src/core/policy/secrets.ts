// Secrets committed to Git: plaintext `kind: Secret` objects and kustomize secretGenerators, and
// private keys, cloud/SaaS credentials and high-entropy values in any manifest or values file.
//
// Findings never carry the value, not even a part of it: messages name the kind of secret and the
// key it sits under. Nothing here logs.
import type { Fix } from '../findings';
import type { ObjectRef, RuleContext } from './types';
import { replaceDocument, quote } from './yaml-edit';
import { groupOf, isRecord, str, type Obj } from './workload';

/** A document with SOPS metadata is encrypted (values are `ENC[…]`). */
export function isSopsEncrypted(value: unknown): boolean {
  return isRecord(value) && isRecord(value.sops);
}

function nonEmptyKeys(v: unknown, base64 = false): string[] {
  if (!isRecord(v)) return [];
  return Object.entries(v)
    .filter(([, x]) => x !== null && x !== undefined && String(x) !== '' && !isSecretReference(String(x), base64))
    .map(([k]) => k);
}

/**
 * Values that name where a secret is, not the secret: 1Password (`op://vault/item/field`), Vault
 * through bank-vaults (`vault:secret/data/app#password`) or vals (`ref+vault://…`, `ref+awssecrets://…`),
 * argocd-vault-plugin placeholders (`<path:kv/data/app#password>`, `<password>`), Flux
 * substitutions and shell-style placeholders (`${DB_PASSWORD}`, `$(TOKEN)`), SOPS-encrypted values
 * (`ENC[AES256_GCM,…]`) and templates (`{{ .password }}`, as in ExternalSecret templates). With
 * `base64`, a value of a Secret's `data` is also recognised when its decoded text is one.
 */
export function isSecretReference(value: string, base64 = false): boolean {
  const v = value.trim();
  if (REFERENCE.test(v)) return true;
  if (!base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(v) || v.length % 4 !== 0) return false;
  const decoded = Buffer.from(v, 'base64').toString('utf8').trim();
  return REFERENCE.test(decoded);
}

const REFERENCE = new RegExp(
  [
    '^op://\\S+$', // 1Password
    '^vault:\\S+$', // bank-vaults
    '^ref\\+[a-z0-9]+://\\S+$', // vals
    '^<path:[^>]+>$', // argocd-vault-plugin, inline path
    '^<[A-Za-z0-9_.\\-/|# ]+>$', // argocd-vault-plugin, placeholder resolved through the avp.kubernetes.io/path annotation
    '\\$\\{[^}]+\\}', // Flux post-build substitution, envsubst
    '^\\$\\([A-Za-z_][A-Za-z0-9_]*\\)$', // Kubernetes dependent environment variable
    '^ENC\\[[A-Z0-9_]+,.*\\]$', // SOPS
    '\\{\\{.*\\}\\}', // templates
  ].join('|'),
  's',
);

/** The YAML text of an ExternalSecret with the same name, namespace, labels, type and keys, and no values. */
export function externalSecretFor(secret: Obj): string {
  const meta = isRecord(secret.metadata) ? secret.metadata : {};
  const name = str(meta.name) ?? 'secret';
  const keys = [...new Set([...Object.keys(isRecord(secret.data) ? secret.data : {}), ...Object.keys(isRecord(secret.stringData) ? secret.stringData : {})])];
  const lines = ['apiVersion: external-secrets.io/v1', 'kind: ExternalSecret', 'metadata:', `  name: ${quote(name)}`];
  if (str(meta.namespace)) lines.push(`  namespace: ${quote(str(meta.namespace)!)}`);
  if (isRecord(meta.labels) && Object.keys(meta.labels).length) {
    lines.push('  labels:');
    for (const [k, v] of Object.entries(meta.labels)) lines.push(`    ${quote(k)}: ${quote(String(v))}`);
  }
  lines.push(
    'spec:',
    '  refreshInterval: 1h',
    '  secretStoreRef:',
    '    # TODO: the SecretStore or ClusterSecretStore that holds these values',
    '    kind: ClusterSecretStore',
    '    name: secret-store',
    '  target:',
    `    name: ${quote(name)}`,
    '    creationPolicy: Owner',
  );
  const type = str(secret.type);
  if (type && type !== 'Opaque') lines.push('    template:', `      type: ${quote(type)}`);
  if (keys.length) {
    lines.push('  data:');
    for (const k of keys) {
      lines.push(`    - secretKey: ${quote(k)}`, '      remoteRef:', `        key: ${quote(name)}  # TODO: the entry in the secret store`, `        property: ${quote(k)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function checkPlaintextSecret(o: ObjectRef, ctx: RuleContext): void {
  const v = o.value;
  if (o.id.kind === 'Secret' && o.id.group === '') {
    if (isSopsEncrypted(v)) return;
    const data = nonEmptyKeys(v.data, true);
    const stringData = nonEmptyKeys(v.stringData);
    const field = stringData.length ? 'stringData' : data.length ? 'data' : undefined;
    if (!field) return;
    const n = data.length + stringData.length;
    ctx.report(o, {
      code: 'secret/plaintext',
      path: [field],
      key: true,
      message: `Secret ${o.id.name} is committed with ${n} plaintext value${n === 1 ? '' : 's'} (${[...new Set([...stringData, ...data])].join(', ')}); use an ExternalSecret, a SealedSecret or SOPS`,
      fix: (t): Fix => ({ title: 'Replace with ExternalSecret', edits: [replaceDocument(t, externalSecretFor(v))] }),
    });
    return;
  }
  // kustomize secretGenerator with literals or files from the repository
  if (groupOf(v.apiVersion) === 'kustomize.config.k8s.io' && (o.id.kind === 'Kustomization' || o.id.kind === 'Component')) {
    const gens = v.secretGenerator;
    if (!Array.isArray(gens)) return;
    gens.forEach((g, i) => {
      if (!isRecord(g)) return;
      const name = str(g.name) ?? `#${i}`;
      for (const field of ['literals', 'files', 'envs'] as const) {
        const list = g[field];
        if (!Array.isArray(list) || list.length === 0) continue;
        ctx.report(o, {
          code: 'secret/plaintext',
          path: ['secretGenerator', i, field],
          key: true,
          message: field === 'literals'
            ? `secretGenerator ${name} has ${list.length} plaintext literal${list.length === 1 ? '' : 's'}`
            : `secretGenerator ${name} reads ${field === 'files' ? 'files' : 'env files'} committed in plaintext`,
        });
      }
    });
  }
}

// ——— content scanning ———

export type SecretKind = 'secret/private-key' | 'secret/cloud-credential' | 'secret/high-entropy';

export interface TextSecret {
  code: SecretKind;
  /** Offsets of the secret in the text: [start, end). */
  start: number;
  end: number;
  message: string;
}

interface Pattern {
  code: SecretKind;
  re: RegExp;
  what: string;
  /** Group holding the secret itself (default 0). */
  group?: number;
  skip?: (m: RegExpExecArray) => boolean;
}

const PATTERNS: Pattern[] = [
  { code: 'secret/cloud-credential', what: 'AWS access key id', re: /\b((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16})(?![A-Z0-9])/g, group: 1, skip: (m) => m[1].endsWith('EXAMPLE') },
  { code: 'secret/cloud-credential', what: 'AWS secret access key', re: /(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi, group: 1, skip: (m) => /EXAMPLEKEY$/.test(m[1]) },
  { code: 'secret/cloud-credential', what: 'Azure storage account key', re: /AccountKey=([A-Za-z0-9+/]{40,}={0,2})/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'Azure shared access key', re: /SharedAccessKey=([A-Za-z0-9+/]{20,}={0,2})/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'Azure shared access signature', re: /[?&;]sig=([A-Za-z0-9%+/]{30,}(?:%3D|=){0,2})/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'Google API key', re: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'GitHub token', re: /\b(gh[pousr]_[A-Za-z0-9]{36,255})(?![A-Za-z0-9])/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'GitHub fine-grained token', re: /\b(github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'GitLab token', re: /\b((?:glpat|gldt|glrt|glptt|gloas)-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'Slack token', re: /\b(xox[abposr]-[A-Za-z0-9-]{10,})(?![A-Za-z0-9-])/g, group: 1 },
  { code: 'secret/cloud-credential', what: 'Slack webhook URL', re: /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,})/g, group: 1 },
];

const PEM = /-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |SSH2 ENCRYPTED |PGP )?)PRIVATE KEY( BLOCK)?-----/g;
const GCP_SA = /["']?type["']?\s*:\s*["']service_account["']/;

const SUSPICIOUS_KEY = /(pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url)/i;
const NOT_A_VALUE_KEY = /(ref|name|names|file|files|path|mount|existing|enabled|enable|length|ttl|url$|endpoint|type|kind|policy|annotation|selector|template|format|field|(?:password|passwd|secret|token)[_-]?keys?|id$|ids$|version|secretstore|provider|issuer|rotation|expir|header|prefix|suffix|count|size|timeout|interval|mode)$/i;
const KEY_VALUE = /^(\s*(?:-\s+)?)(["']?)([A-Za-z0-9_.\-/]+)\2\s*[:=]\s*(.*)$/;

// Lines worth a closer look are found in two steps: a search for the words alone (cheap: no line
// anchor, no backtracking over keys), then, on the lines that hold one, the line patterns
// matched at the line's start (sticky). Every word of SUSPICIOUS_KEY contains one of KEY_WORD, so
// no line that either pattern matches is missed; the results are exactly those of the line
// patterns run over the whole text with the `m` flag (whose `^` follows \n, \r, \u2028, \u2029).
const KEY_WORD = /pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url/gi;
/** A line whose key may name a secret (a pre-filter for KEY_VALUE + SUSPICIOUS_KEY), from the line's start. */
const SUSPICIOUS_LINE_AT = /[ \t]*(?:-[ \t]+)?["']?[A-Za-z0-9_.\-/]*(?:pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url)[A-Za-z0-9_.\-/]*["']?[ \t]*[:=]/iy;
/** An env entry's `name:` line, from the line's start. */
const ENV_NAME_AT = /[ \t]*(?:-[ \t]+)?name:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*\r?$/my;

const isLineBreak = (c: number) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/** Starts of the lines (split at every line break, as `^` with the `m` flag) that contain a KEY_WORD, in order. */
function keyWordLines(text: string): number[] {
  const out: number[] = [];
  KEY_WORD.lastIndex = 0;
  for (let m = KEY_WORD.exec(text); m; m = KEY_WORD.exec(text)) {
    let start = m.index;
    while (start > 0 && !isLineBreak(text.charCodeAt(start - 1))) start--;
    out.push(start);
    let end = m.index + m[0].length;
    while (end < text.length && !isLineBreak(text.charCodeAt(end))) end++;
    KEY_WORD.lastIndex = end;
  }
  return out;
}

/**
 * Where the line pattern for suspicious keys matches, as a global `^…` search with the `m` flag
 * would find it when each match moves the search to the end of its `\n` line: match offsets.
 */
export function suspiciousKeyLines(text: string, lines = keyWordLines(text)): number[] {
  const out: number[] = [];
  let from = 0;
  for (const start of lines) {
    if (start < from) continue;
    SUSPICIOUS_LINE_AT.lastIndex = start;
    if (!SUSPICIOUS_LINE_AT.test(text)) continue;
    out.push(start);
    const nl = text.indexOf('\n', start);
    from = Math.max(SUSPICIOUS_LINE_AT.lastIndex, nl < 0 ? text.length : nl);
  }
  return out;
}

/** The `name:` lines whose name holds a KEY_WORD: offset and name, as the global `^…$` search with `m` finds them. */
export function envNameLines(text: string, lines = keyWordLines(text)): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const start of lines) {
    ENV_NAME_AT.lastIndex = start;
    const m = ENV_NAME_AT.exec(text);
    if (m) out.push([start, m[1]]);
  }
  return out;
}

function shannon(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER = /^(?:changeme|change-me|changeit|example|placeholder|password|secret|token|redacted|todo|tbd|none|null|true|false|xxx+|\*+|<[^>]*>|\[[^\]]*\]|\$\{[^}]*\}|\$\([^)]*\)|ENC\[.*)$/i;

/**
 * A Kubernetes object name with a generated suffix (`keycloak-admin-credentials-h7g8d9f0`, as under
 * `existingSecret:` or `tokenSecret:`): lowercase DNS-1123 words joined by `-` or `.`, at least one
 * of them a word (not hex), unlike a UUID or a hex token.
 */
function looksLikeObjectName(value: string): boolean {
  if (value.length > 253 || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(value) || !/[.-]/.test(value)) return false;
  return value.split(/[.-]/).some((w) => /^[a-z]{3,}$/.test(w) && !/^[a-f]+$/.test(w));
}

/** True for strings that look random enough to be a credential. */
export function looksRandom(value: string): boolean {
  if (value.length < 16 || value.length > 512) return false;
  if (/\s/.test(value) || PLACEHOLDER.test(value) || value.includes('{{') || value.includes('${') || /^(?:\.{0,2}\/|[a-z]+:\/\/)/i.test(value)) return false;
  if (isSecretReference(value, true)) return false;
  const h = shannon(value);
  if (/^[0-9a-f]+$/i.test(value)) return value.length >= 24 && h >= 3.0;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
  return h >= 3.5 && classes >= 2;
}

function unquote(raw: string): { value: string; offset: number } {
  let v = raw.replace(/\s+#.*$/, '').trimEnd();
  let offset = 0;
  if (v.endsWith(',')) v = v.slice(0, -1).trimEnd();
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    v = v.slice(1, -1);
    offset = 1;
  }
  return { value: v, offset };
}

/**
 * Scans text for private keys, cloud credentials and high-entropy values under suspicious keys.
 * `skip` lists offset ranges not to scan (e.g. plaintext Secrets already reported, SOPS documents);
 * `entropySkip` ranges where encrypted values are expected (SealedSecrets).
 */
export function scanText(text: string, opts: { skip?: Array<[number, number]>; entropySkip?: Array<[number, number]> } = {}): TextSecret[] {
  const out: TextSecret[] = [];
  const skipped = (at: number) => (opts.skip ?? []).some(([s, e]) => at >= s && at < e);
  const isGcp = GCP_SA.test(text);
  // private keys (a GCP service account key file is reported as a cloud credential)
  PEM.lastIndex = 0;
  for (let m = PEM.exec(text); m; m = PEM.exec(text)) {
    if (skipped(m.index)) continue;
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const line = text.slice(lineStart, m.index);
    const gcp = isGcp && /private_key/.test(line);
    const kind = m[1].trim() || (m[2] ? 'PGP' : '');
    out.push({
      code: gcp ? 'secret/cloud-credential' : 'secret/private-key',
      start: m.index,
      end: m.index + m[0].length,
      message: gcp ? 'GCP service account key (private_key) committed in plaintext' : `${kind ? `${kind} ` : ''}private key committed in plaintext`,
    });
  }
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(text); m; m = p.re.exec(text)) {
      if (p.skip?.(m)) continue;
      const g = p.group ?? 0;
      const start = m.index + m[0].indexOf(m[g]);
      if (skipped(start)) continue;
      if (out.some((x) => start >= x.start && start < x.end)) continue;
      out.push({ code: p.code, start, end: start + m[g].length, message: `${p.what} committed in plaintext` });
    }
  }
  // high entropy under suspicious keys: only lines that name one (or env `value:` lines after such a name)
  const lineAt = (offset: number): [number, number] => {
    const start = text.lastIndexOf('\n', offset - 1) + 1;
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    return [start, end];
  };
  const checkLine = (lineStart: number, lineEnd: number, envName?: string) => {
    if (skipped(lineStart) || opts.entropySkip?.some(([s, e]) => lineStart >= s && lineStart < e)) return;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    if (/^\s*#/.test(line)) return;
    const m = KEY_VALUE.exec(line);
    if (!m) return;
    const key = m[3];
    let keyLabel: string | undefined;
    if (SUSPICIOUS_KEY.test(key) && !NOT_A_VALUE_KEY.test(key)) keyLabel = key;
    else if (key === 'value' && envName) keyLabel = envName;
    if (!keyLabel) return;
    const rawStart = line.length - m[4].length;
    const { value, offset } = unquote(m[4]);
    if (!looksRandom(value)) return;
    // `existingSecret: keycloak-admin-credentials-h7g8d9f0` names a Secret object; it is not one
    if (/secret$|^existing/i.test(keyLabel) && looksLikeObjectName(value)) return;
    const start = lineStart + rawStart + offset;
    if (out.some((x) => start < x.end && start + value.length > x.start)) return;
    out.push({ code: 'secret/high-entropy', start, end: start + value.length, message: `high-entropy value under '${keyLabel}' looks like a committed secret` });
  };
  const candidates = keyWordLines(text);
  for (const at of suspiciousKeyLines(text, candidates)) {
    const [a, b] = lineAt(at);
    checkLine(a, b);
  }
  for (const [at, name] of envNameLines(text, candidates)) {
    if (!SUSPICIOUS_KEY.test(name) || NOT_A_VALUE_KEY.test(name)) continue;
    // the `value:` of the same list item, within the next two lines
    let [, end] = lineAt(at);
    for (let k = 0; k < 2 && end < text.length; k++) {
      const [a, b] = lineAt(end + 1);
      if (/^\s*value:/.test(text.slice(a, b))) {
        checkLine(a, b, name);
        break;
      }
      end = b;
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
