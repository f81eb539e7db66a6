// src/core: pure TypeScript, no `vscode` import (enforced by test/unit/layering.test.ts).
// The extension, the language server and the CLI are thin front ends over these modules.
export {};
