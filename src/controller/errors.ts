import { Reason } from '../api/index.js';
import type { SpecProblem } from '../model/install-status.js';

/**
 * Typed reconcile errors that say what happens next (after Flux source-controller):
 * - stalling: the input cannot work as it is; stop retrying until it changes (Stalled=True);
 * - waiting: something should appear by itself; look again after a delay, not counted as a failure;
 * - generic: anything else; retried with backoff, its reason and message shown while it lasts.
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

export class GenericError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GenericError';
  }
}

/** How a reconcile that threw goes on: what its status says, and whether the queue retries it. */
export interface Outcome {
  problem: SpecProblem;
  /** Requeue after this long without counting a failure (waiting). */
  requeueAfterMs?: number;
  /** Rethrow, so the queue retries with backoff (generic). */
  retry: boolean;
}

export function outcomeOf(error: unknown): Outcome {
  if (error instanceof StallingError)
    return { problem: { reason: error.reason, message: error.message }, retry: false };
  if (error instanceof WaitingError) {
    return {
      problem: { reason: error.reason, message: error.message, waiting: true },
      requeueAfterMs: error.retryAfterMs,
      retry: false,
    };
  }
  const reason = error instanceof GenericError ? error.reason : Reason.ReconcileError;
  const message = error instanceof Error ? error.message : String(error);
  return { problem: { reason, message: `${message}; retrying`, waiting: true }, retry: true };
}
