import { GROUP_VERSION } from '../api/index.js';

/**
 * Object references without the Kubernetes client: code that only names objects (the CLI's
 * export and import commands, bundle import) imports this, so loading it never loads
 * @kubernetes/client-node (about 55 MiB of memory).
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
}

export const ferryRef = (kind: string, namespace?: string, name?: string): ObjectRef => ({
  apiVersion: GROUP_VERSION,
  kind,
  namespace,
  name,
});
