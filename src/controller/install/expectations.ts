import type { AppInstall } from '../../api/index.js';

/** resourceVersions of AppInstalls as this process last wrote them, by uid. */
const written = new Map<string, bigint>();

const asNumber = (rv: string | undefined) => (rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined);

export function expectResourceVersion(install: AppInstall, resourceVersion: string | undefined): void {
  const rv = asNumber(resourceVersion);
  if (install.metadata.uid && rv !== undefined) written.set(install.metadata.uid, rv);
}

/**
 * True while the informer still holds an AppInstall older than the one this process last wrote:
 * acting on it could repeat work already recorded. (etcd resourceVersions are increasing integers;
 * anything else disables the check.)
 */
export function installCacheLagsBehind(install: AppInstall): boolean {
  const expected = install.metadata.uid ? written.get(install.metadata.uid) : undefined;
  const cached = asNumber(install.metadata.resourceVersion);
  if (expected === undefined || cached === undefined) return false;
  if (cached >= expected) {
    written.delete(install.metadata.uid!);
    return false;
  }
  return true;
}
