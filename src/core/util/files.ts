// Reading a text file where "not there" or "not readable" is an answer, not an error.
import { readInputFile } from '../manifest/limits';

/**
 * The file's text, or undefined when it cannot be read (missing, unreadable, a folder) or is past
 * the input limits (manifest/limits.ts: too large, binary, not UTF-8, too many documents, too deep).
 */
export function readTextOrUndefined(file: string): string | undefined {
  return readInputFile(file).text;
}

/** A reader that reads each file at most once (for passes that look at the same files again). */
export function cachingReader(read: (file: string) => string | undefined = readTextOrUndefined): (file: string) => string | undefined {
  const texts = new Map<string, string | undefined>();
  return (file) => {
    if (!texts.has(file)) texts.set(file, read(file));
    return texts.get(file);
  };
}
