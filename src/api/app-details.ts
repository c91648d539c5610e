import { z } from 'zod';
import { timestamp } from './common.js';

// App details and the publish record of an AppTemplate (ferry publish, ferry templates).

/** Longest icon, as a data: URI (64 KiB). */
export const MAX_ICON_LENGTH = 65536;
export const ICON_PATTERN = '^data:image/(png|jpeg|gif|webp|svg\\+xml);base64,[A-Za-z0-9+/]+={0,2}$';

export const iconSchema = z
  .string()
  .max(
    MAX_ICON_LENGTH,
    `icon must be at most ${MAX_ICON_LENGTH} characters (a data: URI of about 48 KiB of image)`,
  )
  .regex(
    new RegExp(ICON_PATTERN),
    'icon must be a data: URI of a PNG, JPEG, GIF, WebP or SVG image in base64 (data:image/png;base64,...)',
  )
  .describe(
    `Application icon as a data: URI (data:image/png|jpeg|gif|webp|svg+xml;base64,...), at most ${MAX_ICON_LENGTH} characters; offline sites cannot fetch a URL.`,
  );

export const maintainerSchema = z
  .object({
    name: z.string().min(1).max(256).describe('Person or team.'),
    email: z
      .string()
      .max(256)
      .regex(/^[^@\s]+@[^@\s]+$/, 'email must look like name@example.com')
      .optional()
      .describe('Contact address.'),
    url: z.string().max(2048).optional().describe('Web page or issue tracker.'),
  })
  .describe('A maintainer of the application.');

export const PUBLICATION_SOURCES = ['AppInstall', 'Workloads', 'Compose'] as const;

export const publicationSchema = z
  .object({
    publishedAt: timestamp('When ferry publish made this version.'),
    publishedBy: z
      .string()
      .max(1024)
      .describe('The user the API server saw (SelfSubjectReview), or the local user when written to a file.'),
    source: z
      .object({
        kind: z.enum(PUBLICATION_SOURCES).describe('AppInstall, Workloads (label selector) or Compose.'),
        namespace: z.string().max(253).optional().describe('Namespace the app ran in.'),
        install: z.string().max(253).optional().describe('The AppInstall published from.'),
        revision: z.int32().min(1).optional().describe('Its revision published from.'),
        selector: z.string().max(1024).optional().describe('Label selector of the workloads published from.'),
        file: z.string().max(4096).optional().describe('The Compose file published from.'),
      })
      .describe('What the version was captured from.'),
    uncaptured: z
      .array(z.string().max(1024))
      .max(200)
      .optional()
      .describe('What ran but could not be captured into the template (listed by ferry publish).'),
  })
  .describe(
    'How this version was published: when, by whom, from what. Part of the immutable spec, so it travels with the template through export and import; not part of the content compared when a version is published again.',
  );

export type Maintainer = z.infer<typeof maintainerSchema>;
export type Publication = z.infer<typeof publicationSchema>;

/** Where an AppTemplate came from: import, publish or market (set by the command that created it). */
export const LABEL_ORIGIN = 'ferry.dev/origin';
export const TEMPLATE_ORIGINS = ['import', 'publish', 'market'] as const;
export type TemplateOrigin = (typeof TEMPLATE_ORIGINS)[number];
