/**
 * `ferry market push`: one offline package's templates into a market. Everything that can refuse the
 * push is checked before anything is written (the market's signature rule, the app's publisher,
 * immutable versions); then the images go under the app's repository (the import code: verified,
 * HEAD first so a rerun resumes, mounts across repositories), then the publisher binding, the
 * signature and last the version tag, so a reader never sees a version without its signature.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import * as yaml from 'js-yaml';
import type { AppTemplate } from '../api/index.js';
import { BundleError } from '../bundle/errors.js';
import { portableTemplate } from '../bundle/export.js';
import type { ImportResult } from '../bundle/import.js';
import { importPackage } from '../bundle/import.js';
import type { VerifiedPackage } from '../bundle/package-reader.js';
import { keyFingerprint } from '../bundle/package-format.js';
import type { Progress } from '../bundle/progress.js';
import type { Artifact, ImageMap, MarketIndex, PublisherBinding } from './format.js';
import {
  ANNOTATION,
  appRepository,
  checkVersion,
  publisherBinding,
  signVersion,
  templateArtifact,
} from './format.js';
import type { MarketStore } from './store.js';
import { specImages } from '../model/images.js';

export interface PushOptions {
  store: MarketStore;
  /** An offline package (ferry export) holding the versions and their images. */
  packageFile: string;
  /** Which of the package's templates to push (`app@version`); default all. */
  only?: { app: string; version: string }[];
  signKey?: KeyObject;
  /** Keys the package's own signature must verify with (as for import). */
  packageKeys?: KeyObject[];
  progress?: Progress;
  now?: Date;
}

export interface PushedVersion {
  app: string;
  version: string;
  digest: string;
  action: 'pushed' | 'unchanged';
  publisher?: string;
  /** True when this push bound the app to its publisher (its first signed push). */
  boundPublisher: boolean;
}

export interface PushResult {
  versions: PushedVersion[];
  images: Pick<
    ImportResult,
    'blobsPushed' | 'bytesPushed' | 'blobsMounted' | 'blobsPresent' | 'manifestsPushed'
  >;
}

interface Planned {
  template: AppTemplate;
  artifact: Artifact;
  existing?: string;
  binding?: PublisherBinding;
  bindNow: boolean;
}

/** The template as the market stores it: the vendor's own image names, keys sorted (same input, same bytes). */
export const marketTemplateYaml = (template: AppTemplate) =>
  yaml.dump(portableTemplate(template), { sortKeys: true, lineWidth: 120, noRefs: true });

export function imageMapOf(template: AppTemplate, pkg: VerifiedPackage): ImageMap {
  const byRef = new Map(pkg.manifest.images.map((i) => [i.ref, i]));
  return specImages(template.spec).map((ref) => {
    const image = byRef.get(ref);
    if (!image) throw new BundleError(`${template.metadata.name}: the package carries no image ${ref}`);
    return { ref, repository: image.repository, digest: image.digest };
  });
}

export function versionArtifact(template: AppTemplate, pkg: VerifiedPackage): Artifact {
  const { displayName, description } = template.spec;
  return templateArtifact(
    template.spec.app,
    template.spec.version,
    marketTemplateYaml(template),
    imageMapOf(template, pkg),
    {
      ...(displayName ? { [ANNOTATION.title]: displayName } : {}),
      ...(description ? { [ANNOTATION.description]: description.slice(0, 1000) } : {}),
    },
  );
}

/** Refusals that depend only on the market's rules and the key: checked before any byte moves. */
export function checkPublisher(
  app: string,
  index: MarketIndex | undefined,
  binding: PublisherBinding | undefined,
  signKey: KeyObject | undefined,
  url: string,
): void {
  const publisher = signKey ? keyFingerprint(createPublicKey(signKey)) : undefined;
  if (!publisher && index?.requireSignatures)
    throw new BundleError(`${url} requires signed versions: pass --sign-key (the publisher's ed25519 key)`);
  if (binding && !publisher)
    throw new BundleError(
      `${url}/${app} is bound to publisher ${binding.publisher}: its versions must be signed with that key (--sign-key)`,
    );
  if (binding && publisher !== binding.publisher)
    throw new BundleError(
      `${url}/${app} is bound to publisher ${binding.publisher} since ${binding.boundAt}; this key is ${publisher}: ` +
        "only the app's publisher pushes its versions",
    );
}

export async function pushPackage(options: PushOptions): Promise<PushResult> {
  const { store, signKey } = options;
  const index = await store.readIndex();
  const planned = new Map<string, Planned>();
  const plan = async (pkg: VerifiedPackage) => {
    const templates = pkg.templates.filter(
      (t) => !options.only || options.only.some((o) => o.app === t.spec.app && o.version === t.spec.version),
    );
    for (const wanted of options.only ?? [])
      if (!templates.some((t) => t.spec.app === wanted.app && t.spec.version === wanted.version))
        throw new BundleError(`${options.packageFile} holds no template ${wanted.app}@${wanted.version}`);
    const apps = new Set(templates.map((t) => t.spec.app));
    if (apps.size !== 1)
      throw new BundleError(`push one app at a time: ${options.packageFile} holds ${[...apps].join(', ')}`);
    const app = [...apps][0]!;
    const binding = await store.readPublisher(app);
    checkPublisher(app, index, binding, signKey, store.url);
    for (const template of templates) {
      const { version } = template.spec;
      checkVersion(app, version);
      const artifact = versionArtifact(template, pkg);
      const existing = await store.versionDigest(app, version);
      if (existing && existing !== artifact.manifest.digest)
        throw new BundleError(
          `${store.url}/${app}:${version} exists with other content (market ${existing}, this push ${artifact.manifest.digest}): ` +
            'versions are immutable; publish the change as a new version',
        );
      planned.set(`${app}@${version}`, {
        template,
        artifact,
        existing,
        binding,
        bindNow: !binding && !!signKey,
      });
    }
  };

  const imported = await importPackage({
    file: options.packageFile,
    registry: store.client,
    prefix: (pkg) => {
      if (pkg.chart || !pkg.templates.length)
        throw new BundleError(`${options.packageFile} is an operator package: a market holds app templates`);
      return appRepository(store.location, pkg.manifest.app);
    },
    publicKeys: options.packageKeys,
    progress: options.progress,
    onVerified: plan,
  });

  const versions: PushedVersion[] = [];
  const now = options.now ?? new Date();
  for (const [, p] of planned) {
    const { app: name, version } = p.template.spec;
    let publisher: string | undefined;
    if (p.bindNow && !(await store.readPublisher(name)))
      await store.writePublisher(publisherBinding(name, signKey!, now));
    if (signKey) {
      const sig = signVersion(name, version, p.artifact.manifest.digest, signKey);
      publisher = sig.publisher;
      // ed25519 signatures are deterministic: an identical one already there means nothing to write
      const present = p.existing ? await store.readSignature(name, p.artifact.manifest.digest) : undefined;
      if (present?.signature !== sig.signature) await store.writeSignature(sig);
    }
    if (p.existing !== p.artifact.manifest.digest)
      await store.writeArtifact(appRepository(store.location, name), version, p.artifact);
    versions.push({
      app: name,
      version,
      digest: p.artifact.manifest.digest,
      action: p.existing ? 'unchanged' : 'pushed',
      publisher,
      boundPublisher: p.bindNow,
    });
  }
  return {
    versions,
    images: {
      blobsPushed: imported.blobsPushed,
      bytesPushed: imported.bytesPushed,
      blobsMounted: imported.blobsMounted,
      blobsPresent: imported.blobsPresent,
      manifestsPushed: imported.manifestsPushed,
    },
  };
}
