/** Where a CLI shim reads and writes; the bins pass the real process streams. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** All of stdin as text (the secure mode pipes a keypair here). */
  readonly readStdin: () => Promise<string>;
  readonly env: NodeJS.ProcessEnv;
}

/** The real process's streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
  };
}

/** A usage error worded as clap 2 (which agave-validator and solana use) prints it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

/** clap 2's message for an argument nothing accepts. */
export function unexpectedArgument(arg: string, usage: string): UsageError {
  return new UsageError(`Found argument '${arg}' which wasn't expected, or isn't valid in this context`, usage);
}

/** Prints a usage error as clap does and returns its exit code (1). */
export function reportUsage(io: CliIo, err: UsageError): number {
  io.stderr(`error: ${err.message}\n\nUSAGE:\n    ${err.usage}\n\nFor more information try --help\n`);
  return 1;
}

/**
 * Splits `--flag=value` and clap's attached short values (`-ut` is `-u t`, `-l/x` is `-l /x`)
 * into separate arguments, for the short flags that take a value.
 */
export function normalizeArgs(argv: readonly string[], shortWithValue: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 2) {
      out.push(arg.slice(0, eq), arg.slice(eq + 1));
    } else if (/^-[A-Za-z]/.test(arg) && arg.length > 2 && shortWithValue.includes(arg.slice(0, 2))) {
      out.push(arg.slice(0, 2), arg.slice(2));
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The OS error text agave prints for a failed socket connect (Rust's io::Error display). */
export function osErrorText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'No such file or directory (os error 2)';
    case 'ECONNREFUSED':
      return 'Connection refused (os error 111)';
    case 'EACCES':
      return 'Permission denied (os error 13)';
    default:
      return err.message;
  }
}
