import { z } from 'zod';
import { dnsLabel, semverString, timestamp } from './common.js';

export const BUNDLE_FORMAT_VERSION = 1;
const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex digits>');

export const bundleImageSchema = z
  .object({
    ref: z.string().min(1).describe('Image reference as the templates name it.'),
    repository: z.string().min(1).describe('Repository path without registry host, used on import.'),
    digest: digest.describe('Digest of the manifest or index carried.'),
    mediaType: z.string().describe('Media type of that manifest or index.'),
    size: z.int().min(0).describe('Bytes of the image blobs (layers + config), counted once.'),
    platforms: z.array(z.string()).optional().describe('Platforms kept, e.g. linux/amd64.'),
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
    image: z.string().min(1).describe('Reference of the operator image: one of images[].ref.'),
  })
  .describe('Operator package: the Helm chart of the Ferry operator and its image instead of templates.');

export const bundleManifestSchema = z
  .object({
    kind: z.literal('FerryBundle').describe('Always FerryBundle.'),
    formatVersion: z.literal(BUNDLE_FORMAT_VERSION).describe('Package format version this tool reads.'),
    createdAt: timestamp('When the package was made.'),
    createdBy: z.string().describe('Tool and version that made it.'),
    app: dnsLabel('app', 63).describe('Application name.'),
    versions: z.array(semverString('version')).min(1).describe('Template versions carried.'),
    images: z.array(bundleImageSchema).describe('Images the templates reference.'),
    baseVersions: z
      .array(semverString('base version'))
      .default([])
      .describe('Differential package: blobs of these versions are left out and must be on the site.'),
    omittedBlobs: z.array(digest).default([]).describe('Blobs referenced but not carried (differential).'),
    baseRepositories: z
      .array(z.string().min(1))
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
