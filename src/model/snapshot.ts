import { gunzipSync, gzipSync } from 'node:zlib';
import type { AppTemplateSpec, ComponentOverride, ParameterValue, Snapshot } from '../api/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/** What an AppRevision records: enough to re-create its state without any AppTemplate object. */
export interface RevisionContent {
  /** The template spec of the version applied (for a rollback: of the restored revision). */
  template: AppTemplateSpec;
  /** What was applied: the template with preserved site values and retained components. */
  effective: AppTemplateSpec;
  /** Parameter values as the install gave them; plain values of secret parameters are never stored. */
  parameters: StoredParameter[];
  overrides: ComponentOverride[];
  /** Components retained although `template` lacks them. */
  retained: string[];
  /** Components a rollback deletes once it has rolled out (pruneAddedComponents). */
  prune: string[];
  /** Set for a partial upgrade: only these components took the new template. */
  components?: string[];
  /** The install's spec.imagePullSecrets (names) when the revision was made; absent when none. */
  imagePullSecrets?: string[];
}

export type StoredParameter = ParameterValue | { name: string; redacted: true };

/** Snapshots above this size are gzip-compressed (the object must stay far below etcd's 1.5 MB). */
export const COMPRESS_ABOVE_BYTES = 128 * 1024;
export const MAX_SNAPSHOT_BYTES = 1024 * 1024;

export function encodeSnapshot(content: RevisionContent): Snapshot {
  const json = canonicalJson(content);
  const sha256 = sha256Hex(json);
  if (Buffer.byteLength(json) <= COMPRESS_ABOVE_BYTES) return { encoding: 'json', data: json, sha256 };
  const data = gzipSync(json, { level: 9 }).toString('base64');
  if (data.length > MAX_SNAPSHOT_BYTES) {
    throw new Error(
      `revision snapshot is ${data.length} bytes compressed; the limit is ${MAX_SNAPSHOT_BYTES}`,
    );
  }
  return { encoding: 'gzip+base64', data, sha256 };
}

export function decodeSnapshot(snapshot: Snapshot): RevisionContent {
  const json =
    snapshot.encoding === 'json'
      ? snapshot.data
      : gunzipSync(Buffer.from(snapshot.data, 'base64')).toString('utf8');
  if (sha256Hex(json) !== snapshot.sha256) throw new Error('revision snapshot does not match its sha256');
  return JSON.parse(json) as RevisionContent;
}

/** Parameters as stored in a revision: plain values of secret parameters replaced by a marker. */
export function storableParameters(
  given: readonly ParameterValue[],
  secretNames: ReadonlySet<string>,
): StoredParameter[] {
  return given.map((p) =>
    secretNames.has(p.name) && p.value !== undefined ? { name: p.name, redacted: true } : p,
  );
}

/**
 * Digest of the inputs that decide an install's state. Equal digests mean nothing to apply. Secret
 * plain values enter only through the hash.
 */
export function inputsDigest(inputs: {
  version: string;
  parameters?: readonly ParameterValue[];
  overrides?: readonly ComponentOverride[];
  components?: readonly string[];
  imagePullSecrets?: readonly { name: string }[];
}): string {
  return sha256Hex(
    canonicalJson({
      version: inputs.version,
      parameters: [...(inputs.parameters ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
      overrides: [...(inputs.overrides ?? [])].sort((a, b) => a.component.localeCompare(b.component)),
      components: inputs.components ? [...inputs.components].sort() : undefined,
      // Absent when empty, so installs without pull secrets keep the digest they had.
      imagePullSecrets: inputs.imagePullSecrets?.length
        ? inputs.imagePullSecrets.map((s) => s.name).sort()
        : undefined,
    }),
  );
}
