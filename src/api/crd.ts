import { z } from 'zod';
import { API_GROUP, API_VERSION, INT_OR_STRING } from './common.js';
import { appInstallSpecSchema, appInstallStatusSchema } from './app-install.js';
import { appMarketSpecSchema, appMarketStatusSchema } from './app-market.js';
import { appRevisionSpecSchema, appRevisionStatusSchema } from './app-revision.js';
import { appRollbackSpecSchema, appRollbackStatusSchema } from './app-rollback.js';
import { appTemplateSpecSchema, appTemplateStatusSchema } from './app-template.js';
import { appUpgradeSpecSchema, appUpgradeStatusSchema } from './app-upgrade.js';

type JsonSchema = { [key: string]: unknown };

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  priority?: number;
  description?: string;
}

interface KindDefinition {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  rootValidations?: { rule: string; message: string }[];
  columns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const ready: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
const readyMessage: PrinterColumn = {
  name: 'Status',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
  priority: 1,
};

export const KINDS: KindDefinition[] = [
  {
    kind: 'AppTemplate',
    plural: 'apptemplates',
    shortNames: ['fat', 'apptpl'],
    scope: 'Cluster',
    description: 'One published, immutable version of an application.',
    spec: appTemplateSpecSchema,
    status: appTemplateStatusSchema,
    rootValidations: [
      {
        rule: "self.metadata.name == self.spec.app + '.' + self.spec.version",
        message: 'metadata.name must be <spec.app>.<spec.version>',
      },
    ],
    columns: [
      { name: 'App', type: 'string', jsonPath: '.spec.app' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Valid', type: 'string', jsonPath: '.status.conditions[?(@.type=="Valid")].status' },
      { name: 'Origin', type: 'string', jsonPath: '.metadata.labels.ferry\\.dev/origin' },
      { name: 'Published-By', type: 'string', jsonPath: '.spec.publication.publishedBy', priority: 1 },
      { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
      age,
    ],
  },
  {
    kind: 'AppInstall',
    plural: 'appinstalls',
    shortNames: ['fai', 'appinst'],
    scope: 'Namespaced',
    description: 'One installed application, at the version spec.version asks for.',
    spec: appInstallSpecSchema,
    status: appInstallStatusSchema,
    columns: [
      { name: 'App', type: 'string', jsonPath: '.spec.app' },
      { name: 'Desired', type: 'string', jsonPath: '.spec.version' },
      { name: 'Version', type: 'string', jsonPath: '.status.version' },
      { name: 'Revision', type: 'integer', jsonPath: '.status.revision' },
      ready,
      readyMessage,
      age,
    ],
  },
  {
    kind: 'AppRevision',
    plural: 'apprevisions',
    shortNames: ['far', 'apprev'],
    scope: 'Namespaced',
    description: 'An immutable record of one applied change of an AppInstall.',
    spec: appRevisionSpecSchema,
    status: appRevisionStatusSchema,
    columns: [
      { name: 'Install', type: 'string', jsonPath: '.spec.install' },
      { name: 'Revision', type: 'integer', jsonPath: '.spec.revision' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Cause', type: 'string', jsonPath: '.spec.cause' },
      { name: 'Outcome', type: 'string', jsonPath: '.status.outcome' },
      age,
    ],
  },
  {
    kind: 'AppUpgrade',
    plural: 'appupgrades',
    shortNames: ['fau', 'appupg'],
    scope: 'Namespaced',
    description: 'A request to move an AppInstall to another version, with its plan and progress.',
    spec: appUpgradeSpecSchema,
    status: appUpgradeStatusSchema,
    columns: [
      { name: 'Install', type: 'string', jsonPath: '.spec.install' },
      { name: 'From', type: 'string', jsonPath: '.status.fromVersion' },
      { name: 'To', type: 'string', jsonPath: '.status.toVersion' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
      age,
    ],
  },
  {
    kind: 'AppRollback',
    plural: 'approllbacks',
    shortNames: ['farb', 'approll'],
    scope: 'Namespaced',
    description: 'A request to restore an earlier AppRevision of an AppInstall.',
    spec: appRollbackSpecSchema,
    status: appRollbackStatusSchema,
    columns: [
      { name: 'Install', type: 'string', jsonPath: '.spec.install' },
      { name: 'To-Revision', type: 'integer', jsonPath: '.status.toRevision' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
      age,
    ],
  },
  {
    kind: 'AppMarket',
    plural: 'appmarkets',
    shortNames: ['fam', 'appmkt'],
    scope: 'Cluster',
    description:
      'An app store on an OCI registry, synced into AppTemplates by the operator. Deleting it keeps the AppTemplates it created.',
    spec: appMarketSpecSchema,
    status: appMarketStatusSchema,
    columns: [
      { name: 'URL', type: 'string', jsonPath: '.spec.url' },
      ready,
      { name: 'Last-Sync', type: 'date', jsonPath: '.status.lastSyncTime' },
      { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
      age,
    ],
  },
];

const INT32_MAX = 2 ** 31 - 1;
const SAFE_INT = Number.MAX_SAFE_INTEGER;
const DROPPED_KEYS = new Set(['$schema', 'propertyNames', 'id', '$id']);

/**
 * Turns zod's OpenAPI 3.0 JSON Schema into a Kubernetes structural schema: see DESIGN.md §9.
 * Exported for the test that feeds it edge cases.
 */
export function toStructural(node: JsonSchema): JsonSchema {
  if (node[INT_OR_STRING]) {
    const out: JsonSchema = { [INT_OR_STRING]: true };
    if (typeof node.description === 'string') out.description = node.description;
    return out;
  }
  if (node.anyOf || node.oneOf || node.allOf) {
    throw new Error(
      `unions are not structural; use ${INT_OR_STRING} or restructure: ${JSON.stringify(node)}`,
    );
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, toStructural(v)]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toStructural(value as JsonSchema);
    } else if (key === 'additionalProperties') {
      continue; // `false` is not allowed; the API server prunes unknown fields anyway.
    } else if (key === 'const') {
      out.enum = [value];
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'integer') narrowInteger(out);
  if (out.properties && out.additionalProperties) delete out.additionalProperties;
  return out;
}

function narrowInteger(schema: JsonSchema): void {
  const { minimum, maximum } = schema;
  const isInt32 =
    typeof maximum === 'number' &&
    maximum <= INT32_MAX &&
    (minimum === undefined || (minimum as number) >= -INT32_MAX - 1);
  schema.format = isInt32 ? 'int32' : 'int64';
  if (minimum === -INT32_MAX - 1 || minimum === -SAFE_INT) delete schema.minimum;
  if (maximum === INT32_MAX || maximum === SAFE_INT) delete schema.maximum;
}

function openApiSchema(schema: z.ZodType): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as JsonSchema);
}

export function crdFor(def: KindDefinition): JsonSchema {
  const root: JsonSchema = {
    type: 'object',
    description: def.description,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of the object: ferry.dev/v1alpha1.' },
      kind: { type: 'string', description: `Kind of the object: ${def.kind}.` },
      metadata: { type: 'object' },
      spec: openApiSchema(def.spec),
      status: openApiSchema(def.status),
    },
  };
  if (def.rootValidations) root['x-kubernetes-validations'] = def.rootValidations;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.kind.toLowerCase(),
        shortNames: def.shortNames,
        categories: ['ferry'],
      },
      scope: def.scope,
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}

export function allCrds(): JsonSchema[] {
  return KINDS.map(crdFor);
}
