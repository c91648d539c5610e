import type { AppInstall, AppRevision } from '../../api/index.js';
import type { ManagedFieldsEntry, RenderedFields } from '../../model/field-drift.js';
import { lostFields, renderedFields } from '../../model/field-drift.js';
import type { RevisionContent } from '../../model/snapshot.js';
import type { ControllerContext } from '../context.js';
import { renderRevision } from './apply.js';

/** Rendered container and env names per revision content (names do not depend on parameter values). */
const renderedNames = new WeakMap<RevisionContent, Map<string, RenderedFields>>();

/** The image and env fields of a component's cached workload that Ferry applied and no longer owns. */
export function lostFieldsOf(
  ctx: ControllerContext,
  install: AppInstall,
  component: string,
  revision: AppRevision,
): string[] {
  const workload = ctx.cache.workloadOf(install.metadata.namespace!, install.metadata.name, component);
  const managed = workload?.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
  if (!managed?.length) return [];
  const content = ctx.cache.contentOf(revision);
  let names = renderedNames.get(content);
  if (!names) {
    names = renderedFields(renderRevision(install, revision.spec.revision, content, new Map()).values());
    renderedNames.set(content, names);
  }
  const rendered = names.get(component);
  return rendered ? lostFields(managed, rendered).map((f) => `${component} ${f}`) : [];
}
