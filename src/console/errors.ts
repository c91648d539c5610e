import { KubeApiError } from '../kube/client.js';
import { InvalidInputError } from '../model/problems.js';

/** An error as the console shows it: what failed, why, and the fields at fault. */
export interface ShownError {
  title: string;
  message: string;
  fields: { field: string; message: string }[];
}

interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** What the API server (403 forbidden, 422 invalid, 409 conflict…) or Ferry's own checks said. */
export function showError(action: string, error: unknown): ShownError {
  if (error instanceof InvalidInputError)
    return {
      title: `${action}: invalid input`,
      message: 'Nothing was changed.',
      fields: error.problems.map((p) => ({ field: p.field, message: p.message })),
    };
  if (error instanceof KubeApiError) {
    const causes = ((error.details as { causes?: StatusCause[] } | undefined)?.causes ?? []).filter(
      (c) => c.message,
    );
    const title =
      error.status === 403
        ? `${action}: forbidden by the cluster's RBAC`
        : error.status === 422
          ? `${action}: refused as invalid`
          : error.status === 409
            ? `${action}: conflict`
            : `${action}: the API server answered ${error.status} ${error.reason}`;
    return {
      title,
      message: error.message,
      fields: causes.map((c) => ({ field: c.field ?? '(object)', message: c.message! })),
    };
  }
  return { title: `${action} failed`, message: (error as Error)?.message ?? String(error), fields: [] };
}
