// Regenerates test/fixtures/golden/*.yaml with the real tools (see scripts/refresh-golden).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GOLDEN_CASES, GOLDEN_HEADER, goldenDir, realRenderer, renderCase, repoRoot } from './golden-cases';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const renderer = realRenderer();
  mkdirSync(goldenDir, { recursive: true });
  for (const c of GOLDEN_CASES) {
    if (only.length && !only.includes(c.name)) continue;
    const yaml = await renderCase(c, renderer);
    const file = join(goldenDir, `${c.name}.yaml`);
    writeFileSync(file, GOLDEN_HEADER + yaml);
    console.log(`wrote ${relative(repoRoot, file)}`);
  }
  for (const name of ['kubectl', 'helm'] as const) {
    const v = await renderer.toolVersion(name);
    if (!('code' in v)) console.log(`  with ${name} ${v.version}`);
  }
}

main().catch((e: Error) => {
  console.error(`refresh-golden: ${e.message}`);
  process.exit(1);
});
