import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { AppTemplate } from '../api/index.js';
import { LABEL_ORIGIN, appTemplateSpecSchema } from '../api/index.js';
import { ferryRef } from '../kube/ref.js';
import type { KubeClient } from '../kube/client.js';
import { canonicalJson } from '../model/canonical.js';
import { BundleError } from './errors.js';
import { mapLimited } from './limiter.js';
import type { ChartWrite } from './operator-chart.js';
import { OFFLINE_VALUES, offlineValues, planChartOutput, writeChartOutput } from './operator-chart.js';
import type { VerifiedPackage } from './package-reader.js';
import type { BlobPlan } from './import-push.js';
import { RefusedBeforeCommit, planManifests, pushAll } from './import-push.js';
import { readPackage } from './package-reader.js';
import type { Progress } from './progress.js';
import { silentProgress } from './progress.js';
import { isRepositoryName, parseReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { mapImages } from '../model/images.js';

export interface ImportOptions {
  file: string;
  /** The site registry client and the repository prefix under it (or chosen once the package verified). */
  registry: RegistryClient;
  prefix: string | ((pkg: VerifiedPackage) => string);
  kube?: KubeClient;
  /** Trusted keys: with any, a valid signature by one of them is required. */
  publicKeys?: KeyObject[];
  /** How many times its stored size a compressed package may expand. */
  maxExpansion?: number;
  allowUnusedImages?: boolean;
  /** Told what verified and where every image will land, before anything is written. */
  onVerified?: (pkg: VerifiedPackage, destinations: Destination[]) => void | Promise<void>;
  dryRun?: boolean;
  progress?: Progress;
  /** Operator packages: where the chart and values-offline.yaml are written (required for them). */
  chartOut?: string;
}

/** What an operator package's import wrote (or would write). */
export interface ChartOutput {
  /** The chart directory: <chartOut>/<chart name>. */
  chart: string;
  /** <chartOut>/values-offline.yaml. */
  values: string;
  /** The operator image at the site: <registry>/<prefix>/<repository>@<digest>. */
  image: string;
  action: 'written' | 'unchanged' | 'planned';
}

/** Where one image of the package lands at the site. */
export interface Destination {
  ref: string;
  /** `<registry>/<prefix>/<repository>`. */
  repository: string;
  tag?: string;
  digest: string;
}

export interface ImportResult {
  package: VerifiedPackage;
  destinations: Destination[];
  /** What the plan found missing (what a dry run reports). */
  blobsToPush: number;
  bytesToPush: number;
  blobsPushed: number;
  bytesPushed: number;
  blobsMounted: number;
  blobsPresent: number;
  manifestsPushed: number;
  templates: { name: string; action: 'created' | 'unchanged' | 'planned' | 'not-created' }[];
  /** The templates with image references rewritten to the site registry. */
  rewritten: AppTemplate[];
  /** Operator packages: the chart written for `helm install`. */
  chart?: ChartOutput;
}

/**
 * The site repository of a package repository: under `prefix`, or refused. The repository was
 * checked against distribution's grammar when the manifest was read; this checks again, and checks
 * that the path the registry client will request is what a URL parser leaves of it, so no dot
 * segment or escape can move a write out of the prefix.
 */
export function siteRepository(prefix: string, repository: string): string {
  const joined = prefix ? `${prefix}/${repository}` : repository;
  if (!isRepositoryName(repository) || !isRepositoryName(joined))
    throw new BundleError(
      `repository ${JSON.stringify(repository)} is not a repository path under ${JSON.stringify(prefix || '/')}: refused`,
    );
  const path = `/v2/${joined}/manifests/latest`;
  if (
    new URL(path, 'http://registry.invalid').pathname !== path ||
    (prefix && !joined.startsWith(`${prefix}/`))
  )
    throw new BundleError(
      `repository ${JSON.stringify(repository)} leaves ${prefix || 'the registry root'}: refused`,
    );
  return joined;
}

/** Every image's site repository, tag and digest, as the import will write them. */
export function destinations(pkg: VerifiedPackage, registry: string, prefix: string): Destination[] {
  return pkg.manifest.images.map((image) => ({
    ref: image.ref,
    repository: `${registry}/${siteRepository(prefix, image.repository)}`,
    tag: parseReference(image.ref).tag,
    digest: image.digest,
  }));
}

/** `<registry>/<prefix>/<repository>@<digest>` for every image a template uses. */
export function rewriteTemplate(
  template: AppTemplate,
  pkg: VerifiedPackage,
  registry: string,
  prefix: string,
): AppTemplate {
  const byRef = new Map(pkg.manifest.images.map((i) => [i.ref, i]));
  return {
    ...template,
    metadata: {
      name: template.metadata.name,
      labels: {
        ...(template.metadata.labels ?? {}),
        'app.kubernetes.io/name': template.spec.app,
        [LABEL_ORIGIN]: 'import',
      },
      annotations: { ...(template.metadata.annotations ?? {}) },
    },
    spec: mapImages(template.spec, (ref) => {
      const image = byRef.get(ref)!;
      return `${registry}/${siteRepository(prefix, image.repository)}@${image.digest}`;
    }),
  } as AppTemplate;
}

const sameSpec = (a: unknown, b: unknown) =>
  canonicalJson(appTemplateSpecSchema.parse(a)) === canonicalJson(appTemplateSpecSchema.parse(b));

/**
 * Imports a package into the site registry and cluster. Nothing is written until the package
 * verified: its structure, SHA256SUMS, signature, templates and image graph — and every blob
 * whose bytes the import uses. A compressed package is read whole first (pass one), then the
 * blobs the registry lacks are pushed (pass two). A plain tar is read by position: the blobs the
 * registry lacks stream from their place in the file into uploads that stay uncommitted until
 * all of them matched their digests (one read, no second pass); blobs the site holds already
 * under their digest are not read at all (a re-import reads only the metadata). Then the commits
 * (PUT ?digest=), mounts, manifests after the blobs they name, and the AppTemplates last — so an
 * interrupted import leaves no template that points at a missing image, and running it again
 * finishes the work.
 */
export async function importPackage(options: ImportOptions): Promise<ImportResult> {
  const progress = options.progress ?? silentProgress;
  const { registry } = options;
  const pkg = await readPackage(options.file, {
    publicKeys: options.publicKeys,
    progress,
    maxExpansion: options.maxExpansion,
    allowUnusedImages: options.allowUnusedImages,
  });
  const prefix = typeof options.prefix === 'function' ? options.prefix(pkg) : options.prefix;
  progress.event('verified', { entries: pkg.entries, bytes: pkg.bytes, signature: pkg.signature });
  const targets = destinations(pkg, registry.registry, prefix);

  // an operator package's chart goes to a directory: refuse a clash there before pushing anything
  let chartValues: string | undefined;
  let chartPlan: ChartWrite | undefined;
  let chart: ChartOutput | undefined;
  if (pkg.chart && !options.chartOut)
    throw new BundleError(
      `${options.file} is an operator package (Helm chart ${pkg.chart.name} ${pkg.chart.version}): pass --chart-out DIR to write the chart`,
    );
  if (!pkg.chart && options.chartOut)
    throw new BundleError(
      `${options.file} is an app package (${pkg.manifest.app}): it has no chart for --chart-out`,
    );
  if (pkg.chart && options.chartOut) {
    const image = pkg.manifest.images[0]!;
    const repository = siteRepository(prefix, image.repository);
    chartValues = offlineValues({
      registry: registry.registry,
      repository,
      ref: image.ref,
      digest: image.digest,
      appVersion: pkg.chart.appVersion,
    });
    chartPlan = planChartOutput(options.chartOut, pkg.chart, chartValues);
    chart = {
      chart: join(options.chartOut, pkg.chart.name),
      values: join(options.chartOut, OFFLINE_VALUES),
      image: `${registry.registry}/${repository}@${image.digest}`,
      action: chartPlan === 'unchanged' ? 'unchanged' : 'planned',
    };
  }

  const rewritten = pkg.templates.map((t) => rewriteTemplate(t, pkg, registry.registry, prefix));
  const templates: ImportResult['templates'] = [];
  for (const template of rewritten) {
    const name = template.metadata.name;
    const existing = options.kube
      ? await options.kube.get<AppTemplate>(ferryRef('AppTemplate', undefined, name))
      : undefined;
    if (existing && !sameSpec(existing.spec, template.spec)) {
      throw new BundleError(
        `AppTemplate ${name} already exists in the cluster with a different spec; templates are immutable: publish the change as a new version`,
      );
    }
    templates.push({ name, action: existing ? 'unchanged' : options.kube ? 'planned' : 'not-created' });
  }

  // presence at the site, blobs and manifests at once (HEAD only)
  const [plans, manifestPlans] = await Promise.all([
    planBlobs(pkg, registry, prefix),
    planManifests(pkg, registry, prefix),
  ]);
  const missingBase = plans.filter((p) => !p.carried && p.missing.length && !p.source);
  if (missingBase.length) {
    const first = missingBase[0]!;
    throw new BundleError(
      `differential package: the site registry lacks ${missingBase.length} blob(s) of base version ${pkg.manifest.baseVersions.join(', ')} ` +
        `(e.g. ${first.digest} for ${first.missing[0]}): import the ${pkg.manifest.app} ${pkg.manifest.baseVersions.join(', ')} package first`,
    );
  }
  const pending = plans.filter((p) => p.carried && p.missing.length && !p.source);
  await options.onVerified?.(pkg, targets);
  const result: ImportResult = {
    package: pkg,
    destinations: targets,
    blobsToPush: pending.length,
    bytesToPush: pending.reduce((n, p) => n + p.size, 0),
    blobsPushed: 0,
    bytesPushed: 0,
    blobsMounted: 0,
    blobsPresent: plans.filter((p) => !p.missing.length).length,
    manifestsPushed: 0,
    templates,
    rewritten,
    chart,
  };
  if (options.dryRun) return result;
  try {
    await pushAll(pkg, plans, manifestPlans, registry, prefix, progress, result, options.maxExpansion);
  } catch (error) {
    // a blob that did not match its digest: refused, with every upload dropped
    if (error instanceof RefusedBeforeCommit) throw error.reason;
    throw new BundleError(
      `the import stopped after pushing ${result.blobsPushed} of ${result.blobsToPush} blob(s), mounting ${result.blobsMounted} and pushing ${result.manifestsPushed} manifest(s) to ${registry.registry}/${prefix}: ${(error as Error).message}. ` +
        "No AppTemplate was created. Run the same import again to finish it (what is at the site already is skipped); blobs no manifest names are removed by the registry's garbage collection.",
      { cause: error },
    );
  }

  // the chart last, like the templates: it names an image that is at the site by now
  if (chart && chartPlan === 'write') {
    writeChartOutput(options.chartOut!, pkg.chart!, chartValues!);
    chart.action = 'written';
    progress.event('chart', { dir: chart.chart, values: chart.values, image: chart.image });
  }

  if (options.kube) {
    for (const [i, template] of rewritten.entries()) {
      if (templates[i]!.action === 'unchanged') continue;
      await createTemplate(options.kube, template);
      templates[i]!.action = 'created';
      progress.event('template', { name: template.metadata.name, action: 'created' });
    }
  }
  return result;
}

async function createTemplate(kube: KubeClient, template: AppTemplate): Promise<void> {
  try {
    await kube.create(template);
  } catch (error) {
    if ((error as { conflict?: boolean }).conflict) {
      const existing = await kube.get<AppTemplate>(
        ferryRef('AppTemplate', undefined, template.metadata.name),
      );
      if (existing && sameSpec(existing.spec, template.spec)) return;
      throw new BundleError(
        `AppTemplate ${template.metadata.name} was created meanwhile with a different spec`,
        { cause: error },
      );
    }
    throw new BundleError(
      `cannot create AppTemplate ${template.metadata.name}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** For every blob: which site repositories need it and lack it (HEAD only: nothing changes). */
async function planBlobs(
  pkg: VerifiedPackage,
  registry: RegistryClient,
  prefix: string,
): Promise<BlobPlan[]> {
  const needs = new Map<string, { size: number; carried: boolean; repositories: Set<string> }>();
  for (const image of pkg.images) {
    const repository = siteRepository(prefix, image.repository);
    for (const blob of image.blobs) {
      const need = needs.get(blob.digest) ?? {
        size: blob.size,
        carried: blob.carried,
        repositories: new Set<string>(),
      };
      need.repositories.add(repository);
      needs.set(blob.digest, need);
    }
  }
  const baseRepositories = pkg.manifest.baseRepositories.map((r) => siteRepository(prefix, r));
  // presence checks are small requests: 16 at once (the agent keeps up to 32 connections)
  return mapLimited([...needs.entries()], 16, async ([digest, need]) => {
    const plan: BlobPlan = { digest, size: need.size, carried: need.carried, missing: [] };
    for (const repository of need.repositories) {
      if ((await registry.headBlob(repository, digest)) === undefined) plan.missing.push(repository);
      else plan.source ??= repository;
    }
    if (!plan.source && plan.missing.length && !need.carried) {
      for (const repository of baseRepositories) {
        if (need.repositories.has(repository)) continue;
        if ((await registry.headBlob(repository, digest)) !== undefined) {
          plan.source = repository;
          break;
        }
      }
    }
    return plan;
  });
}
