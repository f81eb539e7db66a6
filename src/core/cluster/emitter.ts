// A minimal typed event emitter (core cannot use vscode.EventEmitter). A listener that throws never
// breaks the emitter or the other listeners.

export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

  /** Subscribes; dispose() unsubscribes. */
  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  get size(): number {
    return this.listeners.length;
  }

  dispose(): void {
    this.listeners = [];
  }
}
