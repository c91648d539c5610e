/** A Kubernetes API error, with the server's Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
  get notFound() {
    return this.status === 404;
  }
  get conflict() {
    return this.status === 409;
  }
  get gone() {
    return this.status === 410;
  }
  get invalid() {
    return this.status === 422;
  }
}

/** The error of a failed request, from the Status object the server sent (or its raw text). */
export function apiError(status: number, text: string, method: string, path: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
    return new KubeApiError(
      status,
      s.reason ?? 'Unknown',
      s.message ?? `${method} ${path}: HTTP ${status}`,
      s.details,
    );
  } catch {
    return new KubeApiError(status, 'Unknown', `${method} ${path}: HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
