import { Discovery } from './discovery.js';
import { hostname } from 'node:os';
import type http from 'node:http';
import type { KubeClient, KubeObject, ObjectRef } from '../kube/client.js';
import { ferryRef } from '../kube/client.js';
import { LABEL_HOOK_INSTALL, LABEL_INSTALL, LABEL_PARAMETER_SECRET } from '../model/names.js';
import { ControllerCache, Expectations } from './cache.js';
import type { ControllerContext, QueueName, Workload } from './context.js';
import { reconcileInstall } from './install/reconciler.js';
import { reconcileMarket } from './market/reconciler.js';
import { MarketSchedule } from './market/schedule.js';
import { RequestArrivals, byCreation } from './request-order.js';
import { reconcileRollback } from './rollback/reconciler.js';
import { EventRecorder } from './runtime/events.js';
import type { InformerEvent } from './runtime/informer.js';
import { Informer, objectKey } from './runtime/informer.js';
import { LeaderElector } from './runtime/leader.js';
import type { Logger } from './runtime/logger.js';
import { Metrics } from './runtime/metrics.js';
import type { Handler } from './runtime/queue.js';
import { WorkQueue } from './runtime/queue.js';
import { boundPort, startServer } from './runtime/server.js';
import { reconcileTemplate } from './template/reconciler.js';
import { reconcileUpgrade } from './upgrade/reconciler.js';

export interface ManagerOptions {
  workers: number;
  resyncMs: number;
  /** host:port of /healthz, /readyz and /metrics; port 0 picks a free one. */
  probeAddress: string;
  /** The operator's namespace: AppMarket credentials and CA Secrets are read from it. */
  namespace: string;
  leaderElection?: { namespace: string; name?: string; identity?: string };
}

/**
 * The operator process: informers feed one rate-limited queue per kind, workers reconcile, and
 * (with leader election) only the elected replica runs them.
 */
export class Manager {
  readonly metrics = new Metrics();
  readonly informers: {
    [
      K in 'templates' | 'installs' | 'revisions' | 'upgrades' | 'rollbacks' | 'markets'
    ]: Informer<KubeObject>;
  } & {
    deployments: Informer<Workload>;
    statefulsets: Informer<Workload>;
    secrets: Informer<KubeObject>;
    /** Hook Jobs and their pods, metadata only: a wake-up for their install, never read by a reconciler. */
    hookJobs: Informer<KubeObject>;
    hookPods: Informer<KubeObject>;
  };
  private readonly queues: Record<QueueName, WorkQueue>;
  private readonly ctx: ControllerContext;
  private server?: http.Server;
  private elector?: LeaderElector;
  private running: Promise<void>[] = [];
  private stopping = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly options: ManagerOptions,
  ) {
    client.onWrite = (method, path) => {
      this.metrics.apiWrites.inc({ verb: method });
      log.debug({ method, path }, 'api write');
    };
    client.onApiError = (status, method) =>
      this.metrics.apiErrors.inc({ code: String(status), verb: method });
    const onError = (error: unknown) => log.warn({ err: error }, 'watch error; reconnecting');
    const informer = <T extends KubeObject>(
      ref: ObjectRef,
      labelSelector?: string,
      listOrder?: (a: T, b: T) => number,
    ) => new Informer<T>(client, ref, { resyncMs: options.resyncMs, onError, labelSelector, listOrder });
    const metadataInformer = (
      ref: ObjectRef,
      labelSelector: string,
      transform: (o: KubeObject) => KubeObject,
    ) =>
      new Informer<KubeObject>(client, ref, {
        resyncMs: options.resyncMs,
        ...{ onError, labelSelector, metadataOnly: true, transform },
      });
    this.informers = {
      templates: informer(ferryRef('AppTemplate')),
      installs: informer(ferryRef('AppInstall')),
      revisions: informer(ferryRef('AppRevision')),
      upgrades: informer(ferryRef('AppUpgrade'), undefined, byCreation),
      rollbacks: informer(ferryRef('AppRollback'), undefined, byCreation),
      markets: informer(ferryRef('AppMarket')),
      deployments: informer<Workload>({ apiVersion: 'apps/v1', kind: 'Deployment' }, LABEL_INSTALL),
      statefulsets: informer<Workload>({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, LABEL_INSTALL),
      // Only the Secrets an install's parameters name (the operator labels them), metadata only,
      // and of that only what tells a change: the operator never holds Secret data in its cache.
      secrets: metadataInformer({ apiVersion: 'v1', kind: 'Secret' }, LABEL_PARAMETER_SECRET, secretVersion),
      // A hook Job or its pod finishing wakes its install at once (any change moves the resourceVersion)
      hookJobs: metadataInformer({ apiVersion: 'batch/v1', kind: 'Job' }, LABEL_HOOK_INSTALL, hookObject),
      hookPods: metadataInformer({ apiVersion: 'v1', kind: 'Pod' }, LABEL_HOOK_INSTALL, hookObject),
    };
    this.queues = {
      install: new WorkQueue(),
      upgrade: new WorkQueue(),
      rollback: new WorkQueue(),
      template: new WorkQueue(),
      market: new WorkQueue(),
    };
    for (const [name, queue] of Object.entries(this.queues))
      this.metrics.queueDepth.collect({ queue: name }, () => queue.depth);
    const arrivals = new RequestArrivals();
    this.ctx = {
      client,
      apis: new Discovery(client),
      informers: this.informers,
      cache: new ControllerCache(this.informers, arrivals),
      expectations: new Expectations(),
      events: new EventRecorder(client, (error) => log.warn({ err: error }, 'could not record event')),
      metrics: this.metrics,
      log,
      now: () => new Date(),
      arrivals,
      enqueue: (queue, key) => this.queues[queue].add(key),
      namespace: options.namespace,
      marketSchedule: new MarketSchedule(),
      parameterSecretsChecked: new Map(),
    };
    this.wireEvents();
  }

  get probePort(): number | undefined {
    return this.server ? boundPort(this.server) : undefined;
  }

  async start(): Promise<void> {
    this.server = await startServer(this.options.probeAddress, {
      healthy: () => !this.stopping,
      ready: () => Object.values(this.informers).every((i) => i.hasSynced),
      metrics: () => this.metrics.render(),
    });
    this.log.info({ probePort: this.probePort }, 'serving /healthz, /readyz, /metrics');
    for (const informer of Object.values(this.informers)) informer.start();
    await Promise.all(Object.values(this.informers).map((i) => i.waitForSync()));
    this.log.info('caches synced');
    const election = this.options.leaderElection;
    if (!election) return this.startWorkers();
    const identity = election.identity ?? `${hostname()}_${process.pid}`;
    this.elector = new LeaderElector(this.client, {
      namespace: election.namespace,
      name: election.name ?? 'ferry-operator-leader',
      identity,
      onError: (error) => this.log.warn({ err: error }, 'leader election: lease request failed'),
    });
    this.metrics.isLeader.collect({}, () => (this.elector?.isLeader ? 1 : 0));
    void this.elector.run({
      onStart: () => {
        this.log.info({ identity }, 'became leader');
        this.startWorkers();
      },
      onStop: () => {
        this.log.error({ identity }, 'lost leadership; exiting so a fresh process can campaign');
        process.exit(1);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const queue of Object.values(this.queues)) queue.stop();
    for (const informer of Object.values(this.informers)) informer.stop();
    await Promise.race([Promise.all(this.running), new Promise((r) => setTimeout(r, 10_000).unref())]);
    await this.elector?.release().catch(() => undefined);
    await new Promise((r) => this.server?.close(r) ?? r(undefined));
    this.client.close();
  }

  private startWorkers(): void {
    for (const informer of [
      this.informers.templates,
      this.informers.installs,
      this.informers.upgrades,
      this.informers.rollbacks,
      this.informers.markets,
    ]) {
      for (const object of informer.list()) this.route(informer, object);
    }
    const run = (
      name: QueueName,
      workers: number,
      reconcile: (ctx: ControllerContext, key: string) => Promise<unknown>,
    ) => {
      const handler: Handler = async (key) => {
        const started = process.hrtime.bigint();
        try {
          const result = (await reconcile(this.ctx, key)) as { requeueAfterMs?: number } | void;
          this.metrics.reconciles.inc({ kind: name, result: 'success' });
          return result;
        } catch (error) {
          this.metrics.reconciles.inc({ kind: name, result: 'error' });
          this.metrics.reconcileErrors.inc({ kind: name });
          throw error;
        } finally {
          this.metrics.reconcileDuration.observe(
            { kind: name },
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        }
      };
      const onError = (key: string, error: unknown) =>
        this.log.warn({ kind: name, key, err: error }, 'reconcile failed; will retry');
      this.running.push(this.queues[name].run(workers, handler, onError));
    };
    run('install', this.options.workers, reconcileInstall);
    run('upgrade', 2, reconcileUpgrade);
    run('rollback', 1, reconcileRollback);
    run('template', 1, reconcileTemplate);
    run('market', 2, reconcileMarket);
  }

  private route(informer: Informer<KubeObject>, object: KubeObject): void {
    const i = this.informers;
    const ns = object.metadata?.namespace;
    const spec = (object as { spec?: { install?: string } }).spec;
    if (informer === i.templates) this.queues.template.add(objectKey(object));
    else if (informer === i.markets) this.queues.market.add(objectKey(object));
    else if (informer === i.installs) {
      this.queues.install.add(objectKey(object));
      for (const r of i.upgrades.list(
        (u) =>
          u.metadata?.namespace === ns &&
          (u as typeof object & { spec: { install: string } }).spec.install === object.metadata?.name,
      ))
        this.queues.upgrade.add(objectKey(r));
      for (const r of i.rollbacks.list(
        (u) =>
          u.metadata?.namespace === ns &&
          (u as typeof object & { spec: { install: string } }).spec.install === object.metadata?.name,
      ))
        this.queues.rollback.add(objectKey(r));
    } else if (informer === i.upgrades) {
      this.queues.upgrade.add(objectKey(object));
      if (spec?.install) this.queues.install.add(`${ns}/${spec.install}`);
    } else if (informer === i.rollbacks) {
      this.queues.rollback.add(objectKey(object));
      if (spec?.install) this.queues.install.add(`${ns}/${spec.install}`);
    }
  }

  private wireEvents(): void {
    const i = this.informers;
    // Before routing, so a request is stamped in the order its watch events arrive.
    for (const informer of [i.upgrades, i.rollbacks]) {
      informer.on((event, request) =>
        event === 'delete' ? this.ctx.arrivals.forget(request) : this.ctx.arrivals.observe(request),
      );
    }
    const routeTo = (informer: Informer<KubeObject>) => (event: InformerEvent, object: KubeObject) => {
      if (event === 'delete' && informer === i.markets) return this.queues.market.add(objectKey(object));
      if (event === 'delete' && informer !== i.installs)
        return this.queues[informer === i.templates ? 'template' : 'install'].add(objectKey(object));
      this.route(informer, object);
    };
    for (const informer of [i.templates, i.installs, i.upgrades, i.rollbacks, i.markets])
      informer.on(routeTo(informer));
    i.revisions.on((_event, revision) => {
      const install = revision.metadata?.labels?.[LABEL_INSTALL];
      if (install) this.queues.install.add(`${revision.metadata!.namespace}/${install}`);
      const causeRef = (revision as { spec?: { causeRef?: { kind: string; name: string } } }).spec?.causeRef;
      if (causeRef?.kind === 'AppUpgrade')
        this.queues.upgrade.add(`${revision.metadata!.namespace}/${causeRef.name}`);
      if (causeRef?.kind === 'AppRollback')
        this.queues.rollback.add(`${revision.metadata!.namespace}/${causeRef.name}`);
    });
    i.secrets.on((_event, secret) => {
      const ns = secret.metadata?.namespace;
      for (const install of i.installs.list((o) => o.metadata?.namespace === ns))
        if (namesSecret(install, secret.metadata!.name!)) this.queues.install.add(objectKey(install));
    });
    for (const informer of [i.hookJobs, i.hookPods]) {
      informer.on((event, object) => {
        if (event === 'resync') return; // the installs' own resync covers them
        const install = object.metadata?.labels?.[LABEL_HOOK_INSTALL];
        if (install) this.queues.install.add(`${object.metadata!.namespace}/${install}`);
      });
    }
    for (const informer of [i.deployments, i.statefulsets]) {
      informer.on((_event, workload) => {
        const install = workload.metadata?.labels?.[LABEL_INSTALL];
        if (install) this.queues.install.add(`${workload.metadata!.namespace}/${install}`);
      });
    }
  }
}

/** What the Secret cache keeps of a Secret: no annotations (kubectl's last-applied copy holds its data). */
const secretVersion = (s: KubeObject): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: s.metadata?.name,
    namespace: s.metadata?.namespace,
    uid: s.metadata?.uid,
    resourceVersion: s.metadata?.resourceVersion,
  },
});

/** What the hook Job and pod caches keep: which install to wake. */
const hookObject = ({ apiVersion, kind, metadata: m }: KubeObject): KubeObject => ({
  apiVersion,
  kind,
  metadata: {
    ...secretVersion({ metadata: m }).metadata,
    labels: { [LABEL_HOOK_INSTALL]: m?.labels?.[LABEL_HOOK_INSTALL] ?? '' },
  },
});

const namesSecret = (install: KubeObject, secret: string) =>
  (
    install as { spec?: { parameters?: { valueFrom?: { secretKeyRef?: { name?: string } } }[] } }
  ).spec?.parameters?.some((p) => p.valueFrom?.secretKeyRef?.name === secret) ?? false;
