// What the rules see (objects, the set they belong to, the environment) and what they report
// (violations: a rule, a field path, a message, maybe a fix). The engine turns violations into
// Findings with file ranges (engine.ts, locate.ts).
import type { Fix, FindingSeverity } from '../findings';
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import type { PolicyConfig } from '../repo/model';
import type { CelBudget } from './cel/evaluator';
import type { PssLevel } from './rules';
import type { EditTarget } from './yaml-edit';
import type { Obj, Path } from './workload';

export type { Obj, Path };

/** The environment a check runs for (from the repository model). */
export interface EnvironmentInfo {
  name: string;
  /** Protected environments (e.g. prod) get practice/single-replica-protected. */
  protected?: boolean;
  /** The namespaces the environment owns; gitops/namespace needs a namespace when there are some. */
  namespaces?: string[];
}

/** Builds the edits of a quick fix against the document that holds the object. */
export type FixBuilder = (target: EditTarget) => Fix | undefined;

export interface Violation {
  code: string;
  message: string;
  /** Field path in the object where the problem is (or where the missing field belongs). */
  path: Path;
  /** Where to point when `path` is not in the source (e.g. the container's `name`). */
  anchor?: Path;
  /** Underline the key rather than the value. */
  key?: boolean;
  /** PSS checks: the level of this check (severity follows the level). */
  level?: PssLevel;
  /** Explicit severity (admission policies' actions); otherwise the rule's. */
  severity?: FindingSeverity;
  fix?: FixBuilder;
  /**
   * The problem is a field that is absent (not a value that is wrong). Not reported for partial
   * objects (strategic-merge patch files), which leave most fields to the base.
   */
  missing?: boolean;
  /** A location the rule already knows (broken policies). */
  location?: SourceLocation;
  /** The check could not be done (Finding.notChecked); the message says why. */
  notChecked?: boolean;
  /**
   * For violations without a precise path (admission policies): does the object still violate
   * when `candidate` replaces it? Lets the engine find the overlay change that introduced it.
   */
  reproduces?: (candidate: Obj) => boolean;
}

/** One object under check. */
export interface ObjectRef {
  value: Obj;
  id: ResourceId;
  /** metadata.namespace, else the namespace its application deploys to (helm release, Argo CD destination…). */
  namespace?: string;
  /** Index in its set. */
  index: number;
  /** Which application rendered it (environment checks). */
  application?: ApplicationInfo;
}

export interface ApplicationInfo {
  id: string;
  /** The folder it is rendered from (the kustomize overlay, the chart…). */
  root?: string;
  /** Who applies it: objects of different tools (Flux vs Argo CD) describe alternatives, not one cluster. */
  deployer?: string;
  /** The namespace the tool puts objects without one into. */
  namespace?: string;
  /**
   * How it is laid out when no GitOps tool applies it (`deployer: 'direct'`): `kustomize`, `helm` or
   * `plain`. Direct applications of different layouts are alternative layouts of one repository
   * (manifests, a kustomization and a chart side by side), never applied together.
   */
  layout?: string;
  /** The cluster a GitOps tool applies it to (Argo CD destination server or name); absent: the environment's. */
  cluster?: string;
}

export interface PolicyOptions {
  /** `.reconcile.yaml` policy section (RepoConfig.policy). */
  config?: PolicyConfig;
  environment?: EnvironmentInfo;
  /**
   * Names provided outside the checked set (by the platform, a secret store, another repo):
   * `Kind/name`, `Kind/namespace/name`, with `*` as a whole segment, e.g. `Secret/api-db-credentials`,
   * `Secret/*\/registry-pull`, `Service/shop-prod/payments`.
   */
  externalNames?: string[];
  /** The repository's admission policies (loadPolicies). */
  policies?: import('./admission').PolicySet;
  /** The repository, for gitops/missing-path. */
  repo?: RepoAccess;
  /** Reads a file (open editor buffers first); default: the disk. */
  readFile?: (file: string) => string | undefined;
  /** Prefix of Finding.docs (default: `docs/rules/…` relative paths). */
  docsBase?: string;
  /** CEL budget per expression evaluation. */
  celBudget?: Partial<CelBudget>;
  /** Labels of namespaces that are not in the checked set (e.g. from the cluster). */
  namespaceLabels?: (namespace: string) => Record<string, string> | undefined;
  /** Namespace assumed for namespaced objects without one (file checks of an environment's files). */
  defaultNamespace?: string;
  /**
   * The OpenAPI schema of a kind when the caller knows it (the bundled and the repository's CRD
   * schemas): tells the reference rules which custom kinds have a pod template.
   */
  schemaOf?: (group: string, version: string, kind: string) => unknown;
}

export interface RepoAccess {
  root: string;
  /** Default: the disk. */
  stat?: (absPath: string) => 'file' | 'dir' | undefined;
  /** The repository's git remotes, to tell whether an Argo CD/Flux source is this repository. */
  gitRemotes?: string[];
  /**
   * What a path (relative to `root`, `/`-separated) is at a git revision (core/git revisionPaths):
   * an Argo CD targetRevision or a Flux GitRepository ref other than the checked-out branch.
   */
  atRevision?: (revision: string, relPath: string) => 'file' | 'dir' | 'missing' | 'unknown-revision';
  /**
   * The revisions the work tree stands for (the checked-out branch, the default branch): a path at
   * one of them (or HEAD, or no revision) is looked for in the work tree, where a change under
   * review may add or remove it; a path at another revision with atRevision.
   */
  worktreeRevisions?: () => readonly string[];
}

/** What rules get besides the object. */
export interface RuleContext {
  options: PolicyOptions;
  set: ObjectSet;
  report(obj: ObjectRef, v: Violation): void;
}

const NONE: readonly ObjectRef[] = Object.freeze([]);

/** What a rule read of its set: kinds (every object of that kind), or ALL_OBJECTS. */
export const ALL_OBJECTS = '*';

/**
 * The objects checked together (a file, or a rendered environment), indexed for look-ups.
 * While a recorder is set (track), every look-up records what it read — the kinds it saw, or
 * ALL_OBJECTS — so that a rule's result on one object can be reused while those stay the same.
 */
export class ObjectSet {
  private readonly byKind = new Map<string, ObjectRef[]>();
  private readonly memos = new Map<string, { value: unknown; reads: Set<string> }>();
  private reads: Set<string> | undefined;

  constructor(
    private readonly all: ObjectRef[],
    /** True when the set is a whole environment (reference rules run only then). */
    readonly complete: boolean,
  ) {
    for (const o of all) {
      const l = this.byKind.get(o.id.kind);
      if (l) l.push(o);
      else this.byKind.set(o.id.kind, [o]);
    }
  }

  /** Every object, in order. */
  get objects(): ObjectRef[] {
    this.reads?.add(ALL_OBJECTS);
    return this.all;
  }

  /** Records what look-ups read into `reads` until track(undefined). */
  track(reads: Set<string> | undefined): void {
    this.reads = reads;
  }

  /** The objects a recorded read stands for (without recording it). */
  readObjects(read: string): readonly ObjectRef[] {
    return read === ALL_OBJECTS ? this.all : (this.byKind.get(read) ?? NONE);
  }

  /** A value computed once per set (indexes that several rules share); what it read counts as read by each caller. */
  memo<T>(key: string, compute: () => T): T {
    let m = this.memos.get(key);
    if (!m) {
      const outer = this.reads;
      const reads = new Set<string>();
      this.reads = reads;
      try {
        m = { value: compute(), reads };
      } finally {
        this.reads = outer;
      }
      this.memos.set(key, m);
    }
    if (this.reads) for (const r of m.reads) this.reads.add(r);
    return m.value as T;
  }

  ofKind(kind: string): readonly ObjectRef[] {
    this.reads?.add(kind);
    return this.byKind.get(kind) ?? NONE;
  }

  /** Objects of a kind in a namespace ('' for cluster-scoped or unknown). */
  inNamespace(kind: string, namespace: string | undefined): readonly ObjectRef[] {
    const index = this.memo(`ns:${kind}`, () => {
      const m = new Map<string, ObjectRef[]>();
      for (const o of this.ofKind(kind)) {
        const k = o.namespace ?? '';
        const l = m.get(k);
        if (l) l.push(o);
        else m.set(k, [o]);
      }
      return m;
    });
    return index.get(namespace ?? '') ?? NONE;
  }

  find(kind: string, namespace: string | undefined, name: string): ObjectRef | undefined {
    const index = this.memo(`byName:${kind}`, () => {
      const m = new Map<string, ObjectRef>();
      for (const o of this.ofKind(kind)) {
        const k = `${o.namespace ?? ''}/${o.id.name}`;
        if (!m.has(k)) m.set(k, o);
      }
      return m;
    });
    return index.get(`${namespace ?? ''}/${name}`);
  }

  /** Labels of a namespace defined in the set. */
  namespaceLabels(name: string): Record<string, string> | undefined {
    const ns = this.namespaceObject(name);
    if (!ns) return undefined;
    const l = (ns.value.metadata as Obj | undefined)?.labels;
    if (!l || typeof l !== 'object') return {};
    return Object.fromEntries(Object.entries(l as Obj).map(([k, v]) => [k, String(v)]));
  }

  namespaceObject(name: string): ObjectRef | undefined {
    return this.ofKind('Namespace').find((o) => o.id.name === name && o.id.group === '');
  }
}
