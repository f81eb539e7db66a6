/** `1 file`, `2 files`, `0 files`; `irregular` when the plural is not `word + 's'` (`1 policy`, `2 policies`). */
export function counted(n: number, word: string, irregular?: string): string {
  return `${n} ${n === 1 ? word : irregular ?? `${word}s`}`;
}
