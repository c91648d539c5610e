/**
 * Typed reconcile errors that say what happens next (after Flux source-controller):
 * a stalling error stops retrying until the input changes; a waiting error requeues after a delay
 * without counting as a failure; anything else is retried with backoff.
 */
export class StallingError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StallingError';
  }
}

export class WaitingError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WaitingError';
  }
}
