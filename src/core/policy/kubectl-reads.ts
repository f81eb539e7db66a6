// Files read by the policy engine with the `yaml` parser (YAML 1.2) are turned into what kubectl
// reads (sigs.k8s.io/yaml, YAML 1.1): plain `on`, `yes`, `y`, `off`, `no`, `n`… become booleans,
// in the AST (so that field paths and quick fixes agree) and in each document's value and id.
// The fast parser reads them so itself (quickParse's `kubectl` option); both use schema/yaml11.
import { resourceIdOf } from '../manifest/identity';
import { DEFAULT_MAX_ALIAS_COUNT, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { applyYaml11Booleans } from '../schema/yaml11';

/** Rewrites the documents of `mf` in place as kubectl reads them; returns `mf`. */
export function asKubectlReads<T extends Pick<ManifestFile, 'documents'>>(mf: T): T {
  for (const d of mf.documents) asKubectlRead(d);
  return mf;
}

function asKubectlRead(d: ManifestDocument): void {
  if (!applyYaml11Booleans(d.yaml)) return;
  try {
    d.value = d.yaml.toJS({ maxAliasCount: DEFAULT_MAX_ALIAS_COUNT });
  } catch {
    d.value = undefined; // the alias error is already among d.errors
  }
  const id = resourceIdOf(d.value);
  if (id) d.id = id;
  else delete d.id;
  if (d.shape === 'resource' && !id) d.shape = 'mapping';
  else if (d.shape === 'mapping' && id) d.shape = 'resource';
}
