/** Where commands write; tests pass their own to capture output. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** A usage error: the command line itself is wrong. Exit code 2. */
export class UsageError extends Error {}

/** The input was checked and found wrong; the problems were printed. Exit code 1. */
export class ProblemsFound extends Error {}

/** A manifest file that could not be read or parsed (cli/manifests.ts); here so main.ts need not load js-yaml. */
export class ManifestReadError extends Error {}
