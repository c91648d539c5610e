import { z } from 'zod';
import { conditionsList, dnsLabel, metadataSchema, timestamp } from './common.js';

/** How many apps, and versions per app, the status lists (newest versions first kept). */
export const MARKET_STATUS_APPS = 200;
export const MARKET_STATUS_VERSIONS = 100;

/** A Go-style duration of hours, minutes, seconds and milliseconds, e.g. `10m`, `1h30m`, `45s`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

/** Label of the AppTemplates a market created: the AppMarket's name. */
export const LABEL_MARKET = 'ferry.dev/market';
/** Annotations of a market-synced AppTemplate: the version's manifest digest and its publisher. */
export const ANNOTATION_MARKET_DIGEST = 'ferry.dev/market-digest';
export const ANNOTATION_MARKET_PUBLISHER = 'ferry.dev/publisher';
/** Setting this annotation of an AppMarket to a new value (e.g. a timestamp) asks for a sync now. */
export const ANNOTATION_SYNC_REQUESTED = 'ferry.dev/sync-requested-at';
/** A credentials Secret is used for markets only when it carries this label with value "true". */
export const LABEL_MARKET_CREDENTIALS = 'ferry.dev/market-credentials';

export const appMarketSpecSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .max(512)
      .regex(
        /^(oci:\/\/)?[A-Za-z0-9.[\]:-]+(\/[a-z0-9._/-]+)?\/?$/,
        'url must be REGISTRY[/PREFIX], e.g. market.example.com/acme',
      )
      .describe(
        'Where the market is: REGISTRY[/PREFIX], e.g. market.example.com/acme. Its apps are PREFIX/<app> repositories (versions as tags), their images under PREFIX/<app>/, the index at PREFIX/ferry.index:latest.',
      ),
    secretRef: z
      .object({
        name: dnsLabel('secret name', 253).describe('Secret name.'),
      })
      .optional()
      .describe(
        "Registry credentials: a Secret in the operator's namespace labelled ferry.dev/market-credentials=true, of type kubernetes.io/dockerconfigjson (the entry for the market's registry is used) or kubernetes.io/basic-auth (username, password). Pull access is enough. Anonymous when omitted.",
      ),
    caSecretRef: z
      .object({
        name: dnsLabel('secret name', 253).describe('Secret name.'),
        key: z.string().min(1).max(253).default('ca.crt').describe('Key holding the PEM certificates.'),
      })
      .optional()
      .describe(
        "Certificate authorities (PEM) to trust for the registry besides the system ones: a key of a Secret in the operator's namespace.",
      ),
    plainHttp: z
      .boolean()
      .default(false)
      .describe('Talk HTTP instead of HTTPS to the registry (test and lab registries only).'),
    interval: z
      .string()
      .regex(new RegExp(DURATION_PATTERN), 'interval must be a duration such as 10m, 1h or 30s')
      .default('10m')
      .describe('How often the market is synced (at least every second), e.g. 10m, 1h.'),
    suspend: z
      .boolean()
      .default(false)
      .describe('Stop syncing (what was synced stays); the status is left as it was.'),
    apps: z
      .array(
        z
          .string()
          .min(1)
          .max(63)
          .regex(/^[a-z0-9*?-]+$/, 'an app name or a glob of * and ?'),
      )
      .max(200)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe(
        'Apps to sync: names or globs (* and ?). Globs and an empty list match the apps the market lists (its index); an app named exactly is synced even when the market does not list it.',
      ),
    trustedKeys: z
      .array(
        z
          .string()
          .min(1)
          .max(4096)
          .regex(/-----BEGIN PUBLIC KEY-----/, 'a PEM public key'),
      )
      .max(50)
      .optional()
      .describe(
        "PEM ed25519 public keys. When given (or when the market's index requires signatures), every version must carry a valid signature by one of them; others are refused and listed in status.",
      ),
  })
  .describe(
    'An app store on an OCI registry that the operator syncs into AppTemplates. Deleting it leaves the AppTemplates it created.',
  );

export const marketVersionStatusSchema = z
  .object({
    version: z.string().describe('The version (a tag of PREFIX/<app>).'),
    digest: z.string().describe("The version's manifest digest in the market."),
    template: z
      .string()
      .optional()
      .describe('The AppTemplate that holds it in this cluster; absent when it was not synced.'),
    problem: z
      .string()
      .max(2048)
      .optional()
      .describe(
        'Why this version is not synced: a conflict with an AppTemplate of the same name (both digests named), or a refused signature or publisher.',
      ),
  })
  .describe('One version of an app in the market.');

export const marketAppStatusSchema = z
  .object({
    name: z.string().describe('App name.'),
    listed: z.boolean().describe("Whether the market's index lists the app (synced by name otherwise)."),
    publisher: z
      .string()
      .optional()
      .describe(
        "Fingerprint of the app's publisher key, remembered from the first sync that knew it: versions signed by any other key are refused, even if the market's binding changes.",
      ),
    versions: z
      .array(marketVersionStatusSchema)
      .max(MARKET_STATUS_VERSIONS)
      .optional()
      .describe('Its versions in the market, newest first (at most 100).'),
    error: z
      .string()
      .max(4096)
      .optional()
      .describe(
        'What went wrong for this app: versions refused or in conflict, the market binding another publisher, or the app could not be read.',
      ),
  })
  .describe('One app of the market as this cluster synced it.');

export const appMarketStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The generation last synced.'),
    conditions: conditionsList().optional(),
    lastSyncTime: timestamp('When the market was last synced successfully.').optional(),
    message: z.string().max(4096).optional().describe('Summary of the last sync.'),
    apps: z
      .array(marketAppStatusSchema)
      .max(MARKET_STATUS_APPS)
      .optional()
      .describe('The apps synced (at most 200), by name.'),
  })
  .describe('Observed state of a market. Credentials never appear here, nor in events or logs.');

export const appMarketSchema = z.object({
  apiVersion: z.literal('ferry.dev/v1alpha1'),
  kind: z.literal('AppMarket'),
  metadata: metadataSchema,
  spec: appMarketSpecSchema,
  status: appMarketStatusSchema.optional(),
});

export type AppMarketSpec = z.infer<typeof appMarketSpecSchema>;
export type AppMarketStatus = z.infer<typeof appMarketStatusSchema>;
export type MarketAppStatus = z.infer<typeof marketAppStatusSchema>;
export type MarketVersionStatus = z.infer<typeof marketVersionStatusSchema>;
export type AppMarket = z.infer<typeof appMarketSchema>;
