// Path globs as .reconcile.yaml and Argo CD's git generator use them, matched against
// '/'-separated relative paths: `*` and `?` stay inside one segment, `**` spans any number of
// segments, `{a,b}` alternates, `[abc]` is a character class.

const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '';
  let i = 0;
  let braces = 0;
  const p = pattern.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  while (i < p.length) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        const atEnd = i + 2 === p.length || p[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches zero or more whole segments; a trailing `/**` the folder and anything below.
          if (i + 2 === p.length) {
            if (re.endsWith('\\/')) re = re.slice(0, -2) + '(?:/.*)?';
            else re += '.*';
          } else re += '(?:[^/]*/)*';
          i += i + 2 === p.length ? 2 : 3;
          continue;
        }
        re += '[^/]*';
        i += 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else if (c === '[') {
      const close = p.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let cls = p.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = close;
      }
    } else re += c.replace(/[.+^$()|\\/]/g, (m) => '\\' + m);
    i++;
  }
  const rx = new RegExp(`^${re}$`);
  cache.set(pattern, rx);
  return rx;
}

/** True when the relative path matches the glob. */
export function matchesGlob(relPath: string, pattern: string): boolean {
  return globToRegExp(pattern).test(normalizeRel(relPath));
}

/** True when the path, or one of the folders above it, matches the glob. */
export function matchesGlobOrParent(relPath: string, pattern: string): boolean {
  const rx = globToRegExp(pattern);
  let p = normalizeRel(relPath);
  for (;;) {
    if (rx.test(p)) return true;
    const slash = p.lastIndexOf('/');
    if (slash < 0) return false;
    p = p.slice(0, slash);
  }
}

export function normalizeRel(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}
