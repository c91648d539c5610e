import type { AppTemplate, BundleManifest } from '../api/index.js';
import { templateName } from '../api/index.js';
import { imageUses } from '../model/images.js';
import { formatProblem } from '../model/problems.js';
import { validateTemplate } from '../model/validate.js';
import { BundleError } from './errors.js';
import { MANIFEST_ENTRY, templateEntry } from './package-format.js';
import { parseReference } from './reference.js';
import { loadYamlEntry } from './yaml-entry.js';

/** Most YAML/JSON nodes a template may expand to (aliases count each time they are used). */
const TEMPLATE_MAX_NODES = 200_000;
/** The templates of an app package, one per listed version, each a valid AppTemplate of that version. */
export function readTemplates(manifest: BundleManifest, metadata: Map<string, Buffer>): AppTemplate[] {
  const expected = new Set(manifest.versions.map((v) => templateEntry(manifest.app, v)));
  for (const name of metadata.keys()) {
    if (name.startsWith('templates/') && !expected.has(name)) {
      throw new BundleError(`template not listed in ${MANIFEST_ENTRY} versions`, { entry: name });
    }
  }
  return manifest.versions.map((version) => {
    const name = templateEntry(manifest.app, version);
    const data = metadata.get(name);
    if (!data) throw new BundleError(`missing: ${MANIFEST_ENTRY} lists version ${version}`, { entry: name });
    const doc = loadYamlEntry(data, name);
    if (!withinNodeCount(doc, TEMPLATE_MAX_NODES))
      throw new BundleError(`expands to more than ${TEMPLATE_MAX_NODES} values (YAML aliases?): refused`, {
        entry: name,
      });
    const result = validateTemplate(doc);
    if (!result.ok)
      throw new BundleError(`invalid AppTemplate: ${result.problems.map(formatProblem).join('; ')}`, {
        entry: name,
      });
    const template = result.value;
    if (template.spec.app !== manifest.app || template.spec.version !== version) {
      throw new BundleError(
        `holds ${templateName(template.spec.app, template.spec.version)}, expected ${templateName(manifest.app, version)}`,
        {
          entry: name,
        },
      );
    }
    return template;
  });
}

/** Counts the nodes of a parsed document, stopping at `max` (YAML aliases can make a small file vast). */
function withinNodeCount(value: unknown, max: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (++count > max) return false;
    if (Array.isArray(node)) stack.push(...(node as unknown[]));
    else if (node && typeof node === 'object') stack.push(...Object.values(node));
  }
  return true;
}

/**
 * Every image a template uses is listed, each listed once, and (unless allowed) each listed image
 * is used by a template: an unused image would be pushed to the site for nothing. No two images
 * may land on the same repository and tag.
 */
export function checkImageUse(
  manifest: BundleManifest,
  templates: AppTemplate[],
  allowUnused: boolean,
): void {
  const listed = new Set<string>();
  const destinations = new Map<string, string>();
  for (const image of manifest.images) {
    if (listed.has(image.ref))
      throw new BundleError(`images lists ${image.ref} twice`, { entry: MANIFEST_ENTRY });
    listed.add(image.ref);
    const tag = parseReference(image.ref).tag;
    if (!tag) continue;
    const destination = `${image.repository}:${tag}`;
    const other = destinations.get(destination);
    if (other && other !== image.digest)
      throw new BundleError(`two images would both be tagged ${destination} on import`, {
        entry: MANIFEST_ENTRY,
      });
    destinations.set(destination, image.digest);
  }
  const used = new Set<string>();
  for (const template of templates) {
    for (const { where, image } of imageUses(template.spec)) {
      if (!listed.has(image)) {
        throw new BundleError(`${where} uses image ${image}, which ${MANIFEST_ENTRY} does not list`, {
          entry: templateEntry(manifest.app, template.spec.version),
        });
      }
      used.add(image);
    }
  }
  if (manifest.operator || allowUnused) return;
  const unused = manifest.images.filter((i) => !used.has(i.ref));
  if (unused.length)
    throw new BundleError(
      `images lists ${unused.map((i) => i.ref).join(', ')}, which no template uses: refused (it would be pushed to the site for nothing); pass --allow-unused-images to import it anyway`,
      { entry: MANIFEST_ENTRY },
    );
}
