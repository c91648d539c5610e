import semver from 'semver';
import type { z } from 'zod';
import type {
  AppInstall,
  AppMarket,
  AppRevision,
  AppRollback,
  AppTemplate,
  AppUpgrade,
} from '../api/index.js';
import {
  appInstallSchema,
  appMarketSchema,
  appRevisionSchema,
  appRollbackSchema,
  appTemplateSchema,
  appUpgradeSchema,
} from '../api/index.js';
import type { KubeObject } from '../kube/client.js';
import { LABEL_INSTALL, workloadName } from '../model/names.js';
import type { RevisionContent } from '../model/snapshot.js';
import { decodeSnapshot } from '../model/snapshot.js';
import { templateSpecProblems } from '../model/validate.js';
import type { Informers, Workload } from './context.js';
import type { RequestArrivals } from './request-order.js';

/** A cached object parsed with its schema: the typed object, or what is wrong with it. */
export type Parsed<T> = { ok: true; object: T } | { ok: false; raw: KubeObject; problem: string };

/**
 * A typed view of an informer: each cached object is parsed (defaults applied) once per version —
 * the informer replaces the object on every change, so the parse is memoized by identity.
 */
class TypedView<T> {
  private readonly parsed = new WeakMap<KubeObject, Parsed<T>>();

  constructor(
    private readonly source: { get(key: string): KubeObject | undefined; list(): KubeObject[] },
    private readonly schema: z.ZodType<T>,
  ) {}

  get(key: string): Parsed<T> | undefined {
    const raw = this.source.get(key);
    return raw && this.parse(raw);
  }

  /** Objects that match the schema and the filter; the others are reported where they are reconciled. */
  valid(filter: (o: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (const raw of this.source.list()) {
      const p = this.parse(raw);
      if (p.ok && filter(p.object)) out.push(p.object);
    }
    return out;
  }

  private parse(raw: KubeObject): Parsed<T> {
    let p = this.parsed.get(raw);
    if (!p) {
      const result = this.schema.safeParse(raw);
      p = result.success
        ? { ok: true, object: result.data }
        : {
            ok: false,
            raw,
            problem: result.error.issues
              .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
              .join('; '),
          };
      this.parsed.set(raw, p);
    }
    return p;
  }
}

export type PendingRequest =
  { kind: 'AppUpgrade'; request: AppUpgrade } | { kind: 'AppRollback'; request: AppRollback };

const SNAPSHOT_CACHE_ENTRIES = 5_000;

/**
 * Everything the controllers read from the informers, typed: one instance per manager, so two
 * managers in one process share nothing.
 */
export class ControllerCache {
  readonly installs: TypedView<AppInstall>;
  readonly templates: TypedView<AppTemplate>;
  readonly revisions: TypedView<AppRevision>;
  readonly upgrades: TypedView<AppUpgrade>;
  readonly rollbacks: TypedView<AppRollback>;
  readonly markets: TypedView<AppMarket>;
  private readonly decoded = new Map<string, { data: string; content: RevisionContent }>();

  constructor(
    private readonly informers: Informers,
    private readonly arrivals: RequestArrivals,
  ) {
    this.installs = new TypedView(informers.installs, appInstallSchema);
    this.templates = new TypedView(informers.templates, appTemplateSchema);
    this.revisions = new TypedView(informers.revisions, appRevisionSchema);
    this.upgrades = new TypedView(informers.upgrades, appUpgradeSchema);
    this.rollbacks = new TypedView(informers.rollbacks, appRollbackSchema);
    this.markets = new TypedView(informers.markets, appMarketSchema);
  }

  /**
   * The decoded snapshot of a revision, cached by the snapshot's sha256 (revisions are immutable):
   * the revisions of a fleet installed from one template with the same inputs share one decoded copy.
   * Callers never change it.
   */
  readonly contentOf = (revision: AppRevision): RevisionContent => {
    const { snapshot } = revision.spec;
    const cached = this.decoded.get(snapshot.sha256);
    // the same data, not only the same claimed digest: what was decoded was checked against it
    if (cached?.data === snapshot.data) return cached.content;
    const content = decodeSnapshot(snapshot);
    if (this.decoded.size >= SNAPSHOT_CACHE_ENTRIES) this.decoded.delete(this.decoded.keys().next().value!);
    this.decoded.set(snapshot.sha256, { data: snapshot.data, content });
    return content;
  };

  /** Revisions of an install (of this incarnation, when its uid is given), oldest first. */
  revisionsOf(namespace: string, install: string, uid?: string): AppRevision[] {
    return this.revisions
      .valid(
        (r) =>
          r.metadata.namespace === namespace &&
          r.metadata.labels?.[LABEL_INSTALL] === install &&
          (!uid || !r.metadata.ownerReferences?.length || ownedBy(r, uid)),
      )
      .sort((a, b) => a.spec.revision - b.spec.revision);
  }

  /** Valid templates of an app, by version. */
  templatesOf(app: string): Map<string, AppTemplate> {
    const out = new Map<string, AppTemplate>();
    for (const t of this.templates.valid((t) => t.spec.app === app)) {
      if (!templateSpecProblems('', t.spec).length) out.set(t.spec.version, t);
    }
    return out;
  }

  /** AppUpgrades and AppRollbacks naming an install, in creation order (see request-order.ts). */
  requestsFor(namespace: string, install: string): PendingRequest[] {
    const named = (o: AppUpgrade | AppRollback) =>
      o.metadata.namespace === namespace && o.spec.install === install;
    const all: PendingRequest[] = [
      ...this.upgrades.valid(named).map((request) => ({ kind: 'AppUpgrade' as const, request })),
      ...this.rollbacks.valid(named).map((request) => ({ kind: 'AppRollback' as const, request })),
    ];
    const queuedAt = (r: PendingRequest) => this.arrivals.queuedAt(r.request);
    return all.sort((a, b) => queuedAt(a).localeCompare(queuedAt(b)));
  }

  workloadOf(namespace: string, install: string, component: string): Workload | undefined {
    const key = `${namespace}/${workloadName(install, component)}`;
    return this.informers.deployments.get(key) ?? this.informers.statefulsets.get(key);
  }
}

const ownedBy = (r: AppRevision, uid: string) =>
  (r.metadata.ownerReferences as { uid?: string }[] | undefined)?.some((o) => o.uid === uid) ?? false;

export const sortedVersions = (templates: Map<string, AppTemplate>) =>
  [...templates.keys()].sort(semver.compare);

const asNumber = (rv: string | undefined) => (rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined);

/**
 * What this process last wrote per install (its resourceVersion, the highest revision it created):
 * until the informers show at least that much, acting on the cache could repeat recorded work.
 * (etcd resourceVersions are increasing integers; anything else disables the install check.)
 */
export class Expectations {
  private readonly installs = new Map<string, bigint>();
  private readonly revisions = new Map<string, number>();

  wroteInstall(install: AppInstall, resourceVersion: string | undefined): void {
    const rv = asNumber(resourceVersion);
    if (install.metadata.uid && rv !== undefined) this.installs.set(install.metadata.uid, rv);
  }

  createdRevision(install: AppInstall, revision: number): void {
    const uid = install.metadata.uid ?? '';
    this.revisions.set(uid, Math.max(revision, this.revisions.get(uid) ?? 0));
  }

  /** True while the cached install or its revisions are older than what this process wrote. */
  cacheLagsBehind(install: AppInstall, revisions: readonly AppRevision[]): boolean {
    const uid = install.metadata.uid ?? '';
    if ((this.revisions.get(uid) ?? 0) > (revisions.at(-1)?.spec.revision ?? 0)) return true;
    const expected = this.installs.get(uid);
    const cached = asNumber(install.metadata.resourceVersion);
    if (expected === undefined || cached === undefined) return false;
    if (cached >= expected) {
      this.installs.delete(uid);
      return false;
    }
    return true;
  }

  forget(install: { metadata?: { uid?: string } }): void {
    this.installs.delete(install.metadata?.uid ?? '');
    this.revisions.delete(install.metadata?.uid ?? '');
  }
}
