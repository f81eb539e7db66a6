// `reconcile`: the command-line front end over src/core, for CI and pre-commit.
// Exit codes: 0 ok, 1 findings, 2 usage or tool error.
import { version } from '../../package.json';

export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

const USAGE = `reconcile ${version}: GitOps checks for Kubernetes repositories

Usage:
  reconcile <command> [options]

Commands:
  help              Show this help
  version           Print the version

Exit codes: 0 ok, 1 findings, 2 usage or tool error.
`;

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out.write(USAGE);
      return EXIT.ok;
    case 'version':
    case '--version':
    case '-v':
      out.write(`${version}\n`);
      return EXIT.ok;
    default:
      err.write(`reconcile: unknown command '${command}'${rest.length ? '' : ''}\n\n${USAGE}`);
      return EXIT.error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`reconcile: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(EXIT.error);
    },
  );
}
