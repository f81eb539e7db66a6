// The secret scan finds the lines to look at with a cheap word search and then matches the line
// patterns only where a word is. These tests hold it to the definition: the line patterns run over
// the whole text with the `m` flag (as the scan did before), on every fixture and example, on
// corner cases (CRLF, lone CR, U+2028, tabs, quotes, mixed case, no final newline) and on
// generated text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanText } from '../../../src/core/policy';
import { envNameLines, suspiciousKeyLines } from '../../../src/core/policy/secrets';
import { repoRoot } from './helpers';

// The definition: what the scan matched line by line over the whole text.
const SUSPICIOUS_LINE = /^[ \t]*(?:-[ \t]+)?["']?[A-Za-z0-9_.\-/]*(?:pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url)[A-Za-z0-9_.\-/]*["']?[ \t]*[:=]/gim;
const ENV_NAME_LINE = /^[ \t]*(?:-[ \t]+)?name:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*\r?$/gm;
const WORD = /pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url/i;
const SUSPICIOUS_KEY = /(pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|bearer|signing[_-]?key|encryption[_-]?key|webhook[_-]?url)/i;

function definitionKeyLines(text: string): number[] {
  const out: number[] = [];
  SUSPICIOUS_LINE.lastIndex = 0;
  for (let m = SUSPICIOUS_LINE.exec(text); m; m = SUSPICIOUS_LINE.exec(text)) {
    out.push(m.index);
    const nl = text.indexOf('\n', m.index);
    SUSPICIOUS_LINE.lastIndex = Math.max(SUSPICIOUS_LINE.lastIndex, nl < 0 ? text.length : nl);
  }
  return out;
}

/** Every `name:` line; the scan only needs those whose name holds a word (all that SUSPICIOUS_KEY accepts). */
function definitionNameLines(text: string): { all: Array<[number, string]>; withWord: Array<[number, string]> } {
  const all: Array<[number, string]> = [];
  ENV_NAME_LINE.lastIndex = 0;
  for (let m = ENV_NAME_LINE.exec(text); m; m = ENV_NAME_LINE.exec(text)) all.push([m.index, m[1]]);
  return { all, withWord: all.filter(([, n]) => WORD.test(n)) };
}

function same(text: string, label: string): { keys: number; names: number } {
  assert.deepEqual(suspiciousKeyLines(text), definitionKeyLines(text), `${label}: key lines`);
  const { all, withWord } = definitionNameLines(text);
  assert.deepEqual(envNameLines(text), withWord, `${label}: name lines`);
  // nothing the scan goes on to look at is left out
  for (const [at, name] of all) if (SUSPICIOUS_KEY.test(name)) assert.ok(withWord.some(([a]) => a === at), `${label}: ${name}`);
  return { keys: withWord.length + definitionKeyLines(text).length, names: withWord.length };
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.(ya?ml|json|env)$/.test(name)) out.push(p);
  }
  return out;
}

test('secret lines: every fixture and example gives the lines of the definition', () => {
  const files = [...yamlFiles(join(repoRoot, 'examples')), ...yamlFiles(join(repoRoot, 'test', 'fixtures'))];
  let keys = 0;
  let names = 0;
  for (const f of files) {
    const r = same(readFileSync(f, 'utf8'), f);
    keys += r.keys;
    names += r.names;
  }
  assert.ok(keys > 20 && names > 3, `the corpus has suspicious lines to compare (${keys} key, ${names} name lines)`);
});

const CORNERS: Record<string, string> = {
  crlf: 'password: abc\r\n  - name: API_TOKEN\r\n    value: x\r\nname: DB_PASSWORD\r\n',
  'lone cr': 'a: 1\rpassword: x\r  name: MY_SECRET\rtoken: y\n',
  'line separators': 'a: 1\u2028password: x\u2029name: SECRET_KEY\u2028- name: "api-key"\n',
  'mixed case and quotes': `DB_PassWord: 1\n"apiKey": 2\n'Client_Secret' = 3\n- "TOKEN": 4\n  - name: 'Webhook_URL'\n`,
  'tabs and dashes': '\tpassword:\tx\n-\tname:\tAUTH_KEY\t\n-  token  =  y\n- - secret: z\n',
  'words in values only': 'description: my password is here\nname: user # token\nname: not a token\nimage: secret-store/app:1\n',
  'several words': 'passwordTokenSecret: 1\naccess-key.private_key/webhookurl: 2\n',
  'no final newline': 'x: 1\n  name: GITHUB_TOKEN',
  'key too odd': 'pass word: 1\npass@word: 2\n[password]: 3\n{token: 4}\n',
  'empty and blank': '',
  'only breaks': '\n\r\n\r\u2028',
  'word at start': 'token',
  'dash spacing': '-name: SECRET\n- name:SECRET\n  -  name:   "SECRET"  \n',
};

test('secret lines: corner cases give the lines of the definition', () => {
  for (const [label, text] of Object.entries(CORNERS)) same(text, label);
  // and the scan still finds what hides behind them
  assert.deepEqual(scanText('a: 1\r\n  - name: API_TOKEN\r\n    value: q8Zr2LxW9vNf4TkP7mYs3HdB\r\n').map((s) => s.code), ['secret/high-entropy']);
  assert.deepEqual(scanText('\tDB_PassWord:\tq8Zr2LxW9vNf4TkP7mYs3HdB\n').map((s) => s.code), ['secret/high-entropy']);
});

test('secret lines: generated text gives the lines of the definition', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = [
    'password', 'Pass', 'pwd', 'SECRET', 'token', 'api_key', 'api-Key', 'apikey', 'access_key', 'privateKey', 'credential', 'auth-key', 'bearer',
    'signingkey', 'encryption_key', 'webhookUrl', 'name', 'value', 'key', 'ref', 'db', '_', '-', '.', '/', ':', '=', ' ', '\t', '"', "'", '- ',
    '#', 'x', 'Q8zR2lxW9vNf4TkP7mYs3HdB', '\n', '\r\n', '\r', '\u2028', '  ', 'name: ', '- name: ', 'value: ', ': ',
  ];
  let keys = 0;
  let names = 0;
  for (let doc = 0; doc < 300; doc++) {
    let text = '';
    const n = 20 + rnd(200);
    for (let i = 0; i < n; i++) text += pieces[rnd(pieces.length)];
    const r = same(text, `generated #${doc}`);
    keys += r.keys;
    names += r.names;
  }
  assert.ok(keys > 300 && names > 30, `the generated text has suspicious lines (${keys} key, ${names} name lines)`);
});
