/** What a command needs from the process, so commands run in tests without spawning. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * stdout is a terminal: a person reads it, so a command may print for people rather than
   * for scripts (`simulate`'s default format). @default false
   */
  readonly stdoutIsTTY?: boolean;
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  },
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
};
