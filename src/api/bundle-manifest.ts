import { z } from 'zod';
import { dnsLabel, imageReference, repositoryName, semverString, timestamp } from './common.js';

export const BUNDLE_FORMAT_VERSION = 1;
const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex digits>');

/** Upper bounds on what ferry-bundle.json may list: it is read before the package is trusted. */
export const BUNDLE_LIMITS = {
  versions: 100,
  images: 10_000,
  omittedBlobs: 100_000,
  baseRepositories: 1_000,
  platforms: 64,
} as const;

/** The manifest and index media types Ferry carries (anything else is refused before a push). */
export const ROOT_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const printable = (what: string, max: number) =>
  z
    .string()
    .max(max)
    .regex(
      // eslint-disable-next-line no-control-regex
      /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/,
      `${what} must hold no control characters`,
    );

export const bundleImageSchema = z
  .object({
    ref: imageReference('ref').describe('Image reference as the templates name it.'),
    repository: repositoryName('repository').describe(
      'Repository path without registry host; on import it is placed under the site prefix.',
    ),
    digest: digest.describe('Digest of the manifest or index carried.'),
    mediaType: z.enum(ROOT_MEDIA_TYPES).describe('Media type of that manifest or index.'),
    size: z.int().min(0).describe('Bytes of the image blobs (layers + config), counted once.'),
    platforms: z
      .array(z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, 'expected os/arch[/variant]'))
      .max(BUNDLE_LIMITS.platforms)
      .optional()
      .describe('Platforms kept, e.g. linux/amd64.'),
  })
  .describe('One image carried by the package.');

export const bundleOperatorSchema = z
  .object({
    chart: z
      .string()
      .regex(/^chart\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected chart/<chart name>')
      .describe('Directory of the Helm chart inside the package: chart/<chart name>.'),
    chartName: dnsLabel('chart name', 63).describe('name of the chart (Chart.yaml).'),
    chartVersion: semverString('chart version').describe('version of the chart (Chart.yaml).'),
    appVersion: semverString('appVersion').describe('appVersion of the chart: the operator release.'),
    image: imageReference('operator.image').describe('Reference of the operator image: one of images[].ref.'),
  })
  .describe('Operator package: the Helm chart of the Ferry operator and its image instead of templates.');

export const bundleManifestSchema = z
  .object({
    kind: z.literal('FerryBundle').describe('Always FerryBundle.'),
    formatVersion: z.literal(BUNDLE_FORMAT_VERSION).describe('Package format version this tool reads.'),
    createdAt: timestamp('When the package was made.'),
    createdBy: printable('createdBy', 256).describe('Tool and version that made it.'),
    app: dnsLabel('app', 63).describe('Application name.'),
    versions: z
      .array(semverString('version'))
      .min(1)
      .max(BUNDLE_LIMITS.versions)
      .describe('Template versions carried.'),
    images: z.array(bundleImageSchema).max(BUNDLE_LIMITS.images).describe('Images the templates reference.'),
    baseVersions: z
      .array(semverString('base version'))
      .max(BUNDLE_LIMITS.versions)
      .default([])
      .describe('Differential package: blobs of these versions are left out and must be on the site.'),
    omittedBlobs: z
      .array(digest)
      .max(BUNDLE_LIMITS.omittedBlobs)
      .default([])
      .describe('Blobs referenced but not carried (differential).'),
    baseRepositories: z
      .array(repositoryName('base repository'))
      .max(BUNDLE_LIMITS.baseRepositories)
      .default([])
      .describe(
        "Repositories of the base versions' images: where the omitted blobs are looked for on import.",
      ),
    carriedBytes: z.int().min(0).optional().describe('Bytes of the blobs the package carries.'),
    operator: bundleOperatorSchema
      .optional()
      .describe('Set in an operator package (ferry export --operator): it holds a chart, no templates.'),
  })
  .describe('ferry-bundle.json: what an offline package holds.');

export type BundleImage = z.infer<typeof bundleImageSchema>;
export type BundleOperator = z.infer<typeof bundleOperatorSchema>;
export type BundleManifest = z.infer<typeof bundleManifestSchema>;
