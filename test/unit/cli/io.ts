// Output streams for running the CLI's main() inside a test: everything written is kept in `text`.
import { Writable } from 'node:stream';

export function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}
