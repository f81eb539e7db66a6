// Enforces the layering of design.md: src/core is pure TypeScript and never imports `vscode`,
// and core never reaches up into the adapters (vscode/, server/, cli/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const importRe = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importRe)].map((m) => m[1]);
}

test('src/core has TypeScript sources to check', () => {
  assert.ok(tsFiles(join(root, 'src', 'core')).length > 0);
});

test('src/core never imports vscode', () => {
  const offenders = tsFiles(join(root, 'src', 'core')).filter((f) =>
    importsOf(f).some((m) => m === 'vscode' || m.startsWith('vscode/')),
  );
  assert.deepEqual(offenders.map((f) => relative(root, f)), []);
});

test('src/core never imports the adapters (vscode/, server/, cli/, extension)', () => {
  const bad: string[] = [];
  for (const f of tsFiles(join(root, 'src', 'core'))) {
    for (const m of importsOf(f)) {
      if (/^\.\.?\//.test(m) && /(^|\/)(vscode|server|cli|extension)(\/|$)/.test(m.replace(/^(\.\.\/)+/, ''))) {
        if (!m.includes('/core/')) bad.push(`${relative(root, f)} → ${m}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('the layering check itself catches every form of a vscode import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-layering-'));
  const forms = [
    "import * as vscode from 'vscode';",
    'import { window } from "vscode";',
    "import type { Uri } from 'vscode';",
    "const v = require('vscode');",
    "const v = await import('vscode');",
    "import 'vscode';",
  ];
  for (const [i, form] of forms.entries()) {
    const f = join(dir, `f${i}.ts`);
    writeFileSync(f, `${form}\nexport const x = 1;\n`);
    assert.ok(importsOf(f).includes('vscode'), form);
  }
  const clean = join(dir, 'clean.ts');
  writeFileSync(clean, "import { parse } from 'yaml';\n// mentions vscode in a comment only\n");
  assert.deepEqual(importsOf(clean), ['yaml']);
  rmSync(dir, { recursive: true, force: true });
});
