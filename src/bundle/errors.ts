/**
 * A problem with an offline package or its transfer. The message says what is wrong and, where
 * there is one, what to do next; `entry` names the package entry at fault.
 */
export class BundleError extends Error {
  constructor(message: string, options: { cause?: unknown; entry?: string } = {}) {
    super(options.entry ? `${options.entry}: ${message}` : message, { cause: options.cause });
    this.name = 'BundleError';
    this.entry = options.entry;
  }
  readonly entry: string | undefined;
}

/** A registry answered with an error (or could not be reached after retries). */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}
