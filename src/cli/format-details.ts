import semver from 'semver';
import type { AppTemplateSpec } from '../api/index.js';

const block = (text: string, prefix: string) =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `${prefix}${l}`);

/** App details (from the highest version) and each version's release notes and publication record. */
export function formatAppDetails(specs: readonly AppTemplateSpec[]): string[] {
  const sorted = [...specs].sort((a, b) => semver.rcompare(a.version, b.version));
  const top = sorted[0];
  if (!top) return [];
  const lines: string[] = [];
  if (top.displayName) lines.push(`name:       ${top.displayName}`);
  if (top.description) lines.push(`about:      ${top.description.split('\n')[0]}`);
  if (top.icon)
    lines.push(`icon:       ${top.icon.slice(5, top.icon.indexOf(';'))}, ${top.icon.length} characters`);
  if (top.categories?.length) lines.push(`categories: ${top.categories.join(', ')}`);
  if (top.maintainers?.length)
    lines.push(
      `maintainers: ${top.maintainers.map((m) => (m.email ? `${m.name} <${m.email}>` : m.name)).join(', ')}`,
    );
  for (const spec of sorted) {
    const p = spec.publication;
    const origin = p
      ? `published ${p.publishedAt} by ${p.publishedBy} from ${p.source.kind}${p.source.install ? ` ${p.source.namespace}/${p.source.install} revision ${p.source.revision}` : ''}${p.source.selector ? ` ${p.source.namespace} ${p.source.selector}` : ''}`
      : '';
    if (!spec.releaseNotes && !origin) continue;
    lines.push(`release ${spec.version}:${origin ? ` ${origin}` : ''}`);
    if (spec.releaseNotes) lines.push(...block(spec.releaseNotes, '  | '));
  }
  return lines;
}

/** Release notes of the versions an upgrade passes, as the preview shows them. */
export function formatReleaseNotes(notes: readonly { version: string; notes: string }[]): string {
  if (!notes.length) return 'Release notes: none recorded for these versions.';
  return ['Release notes:', ...notes.flatMap((n) => [`  ${n.version}:`, ...block(n.notes, '    | ')])].join(
    '\n',
  );
}
