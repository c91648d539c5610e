import { BundleError } from './errors.js';
import type { ImportResult } from './import.js';
import { siteRepository } from './import.js';
import { mapLimited } from './limiter.js';
import type { PackageImage, VerifiedPackage } from './package-reader.js';
import { blobWriter, forEachBlob } from './package-scan.js';
import type { Progress } from './progress.js';
import { parseReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import type { StagedBlob } from './registry-upload.js';

export interface BlobPlan {
  digest: string;
  size: number;
  carried: boolean;
  /** Site repositories that need the blob and lack it. */
  missing: string[];
  /** A site repository that has it (to mount from). */
  source?: string;
}

/** Blobs (bytes once, mounted elsewhere), then manifests and tags; counts go into `result`. */
export async function pushAll(
  pkg: VerifiedPackage,
  plans: BlobPlan[],
  manifestPlans: ManifestPlan[],
  registry: RegistryClient,
  prefix: string,
  progress: Progress,
  result: ImportResult,
  maxExpansion: number | undefined,
): Promise<void> {
  // blobs: bytes once, to the first repository that lacks them; the others mount
  const toPush = new Map(
    plans.filter((p) => p.carried && p.missing.length && !p.source).map((p) => [p.digest, p]),
  );
  progress.phase(
    'push',
    [...toPush.values()].reduce((n, p) => n + p.size, 0),
  );
  if (pkg.locations) await pushStaged(pkg, [...toPush.values()], registry, progress, result);
  else {
    // a compressed package streams once more, in order
    const wanted = new Map([...toPush.values()].map((p) => [p.digest, p.size]));
    await forEachBlob(
      pkg,
      wanted,
      async (digest, size, body) => {
        const plan = toPush.get(digest)!;
        const target = plan.missing.shift()!;
        const pushed = await registry.pushBlob(target, digest, size, body, {
          skipHead: true,
          onBytes: (n) => progress.advance(n),
        });
        result.blobsPushed++;
        result.bytesPushed += pushed.bytes;
        plan.source = target;
        progress.event('blob', { digest, size, repository: target, action: 'pushed', bytes: pushed.bytes });
      },
      { maxExpansion },
    );
  }
  progress.end();
  for (const plan of plans) {
    for (const repository of plan.missing) {
      if (!(await registry.mountBlob(repository, plan.digest, plan.source!))) {
        throw new BundleError(
          `${registry.registry} did not mount ${plan.digest} from ${plan.source} into ${repository}`,
        );
      }
      result.blobsMounted++;
      progress.event('blob', { digest: plan.digest, repository, action: 'mounted', from: plan.source });
    }
  }

  const pushed = await mapLimited(pkg.images, 8, (image) =>
    pushManifests(image, manifestPlans[pkg.images.indexOf(image)]!, registry, prefix, progress),
  );
  result.manifestsPushed += pushed.reduce((a, b) => a + b, 0);
}

/** What the site holds of an image's manifests: the digest its tag names, each manifest's digest if present. */
export interface ManifestPlan {
  tagged: string | undefined;
  present: (string | undefined)[];
}

/**
 * For every image (in the package's order): whether its tag and each of its manifests are at the
 * site (HEAD only: nothing changes). Asked all at once, alongside the blobs' presence checks.
 */
export function planManifests(
  pkg: VerifiedPackage,
  registry: RegistryClient,
  prefix: string,
): Promise<ManifestPlan[]> {
  return mapLimited(pkg.images, 8, async (image) => {
    const repository = siteRepository(prefix, image.repository);
    const tag = parseReference(image.ref).tag;
    const [tagged, ...present] = await Promise.all([
      tag ? registry.headManifest(repository, tag) : undefined,
      ...image.manifests.map((m) => registry.headManifest(repository, m.digest)),
    ]);
    return { tagged, present };
  });
}

/** A blob failed its digest while it streamed: every upload was dropped, nothing was committed. */
export class RefusedBeforeCommit extends Error {
  constructor(readonly reason: BundleError) {
    super(reason.message, { cause: reason });
  }
}

/**
 * A plain tar package's blobs, several at a time, each read from its place in the file and
 * hashed as it streams into an upload the registry keeps uncommitted. Only once every one of
 * them has matched its digest are they committed (PUT ?digest=); if one fails, every upload is
 * dropped and no repository holds any of them. One read of the file, no separate verify pass.
 */
async function pushStaged(
  pkg: VerifiedPackage,
  plans: BlobPlan[],
  registry: RegistryClient,
  progress: Progress,
  result: ImportResult,
): Promise<void> {
  let stop = false;
  const stopped = new Error('stopped: another blob failed');
  const staged = await Promise.allSettled(
    plans.map((plan) =>
      registry
        .stageBlob(plan.missing[0]!, plan.digest, plan.size, () => {
          if (stop) throw stopped;
          return blobWriter(pkg, plan.digest, (n) => progress.advance(n));
        })
        .catch((error: unknown) => {
          stop = true;
          throw error;
        }),
    ),
  );
  const failure = staged.find((s) => s.status === 'rejected' && s.reason !== stopped);
  if (failure) {
    await Promise.all(staged.map((s) => (s.status === 'fulfilled' ? s.value.cancel() : undefined)));
    const reason = (failure as PromiseRejectedResult).reason as Error;
    throw reason instanceof BundleError ? new RefusedBeforeCommit(reason) : reason;
  }
  // every byte matched its digest: now the repositories may hold them
  await mapLimited(plans, 8, async (plan) => {
    const upload = (staged[plans.indexOf(plan)] as PromiseFulfilledResult<StagedBlob>).value;
    const target = plan.missing[0]!;
    await upload.commit();
    plan.missing.shift();
    plan.source = target;
    result.blobsPushed++;
    result.bytesPushed += plan.size;
    progress.event('blob', {
      digest: plan.digest,
      size: plan.size,
      repository: target,
      action: 'pushed',
      bytes: plan.size,
    });
  });
}

async function pushManifests(
  image: PackageImage,
  plan: ManifestPlan,
  registry: RegistryClient,
  prefix: string,
  progress: Progress,
): Promise<number> {
  const repository = siteRepository(prefix, image.repository);
  let pushed = 0;
  const tag = parseReference(image.ref).tag;
  const { tagged, present } = plan;
  for (const [i, manifest] of image.manifests.entries()) {
    if (present[i] === manifest.digest) continue;
    await registry.putManifest(repository, manifest.digest, manifest);
    pushed++;
    progress.event('manifest', { repository, digest: manifest.digest, action: 'pushed' });
  }
  if (tag && tagged !== image.root.digest) {
    await registry.putManifest(repository, tag, image.root);
    progress.event('tag', { repository, tag, digest: image.root.digest });
  }
  return pushed;
}
