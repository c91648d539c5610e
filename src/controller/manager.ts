import { Discovery } from './discovery.js';
import { hostname } from 'node:os';
import type http from 'node:http';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { LABEL_HOOK_INSTALL, LABEL_INSTALL } from '../model/names.js';
import { ControllerCache, Expectations } from './cache.js';
import type { ControllerContext, QueueName } from './context.js';
import { ProgressRecords } from './install/progress.js';
import { reconcileInstall } from './install/reconciler.js';
import { reconcileMarket } from './market/reconciler.js';
import { MarketSchedule } from './market/schedule.js';
import { RequestArrivals } from './request-order.js';
import { reconcileRollback } from './rollback/reconciler.js';
import { EventRecorder } from './runtime/events.js';
import type { InformerEvent, Informer } from './runtime/informer.js';
import { objectKey } from './runtime/informer.js';
import { LeaderElector } from './runtime/leader.js';
import type { Logger } from './runtime/logger.js';
import { Metrics, resourceOfPath } from './runtime/metrics.js';
import type { Handler } from './runtime/queue.js';
import { Priority, WorkQueue } from './runtime/queue.js';
import { InstallPriorities, isLiveChange } from './install-priority.js';
import { RolloutSlots } from './install/rollout-slots.js';
import type { ManagerInformers } from './informers.js';
import { createInformers } from './informers.js';
import { boundPort, startServer } from './runtime/server.js';
import { reconcileTemplate } from './template/reconciler.js';
import { reconcileUpgrade } from './upgrade/reconciler.js';

export interface ManagerOptions {
  workers: number;
  /** Installs rolling out at once (0: no limit); see install/rollout-slots.ts. */
  maxRollouts: number;
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
  readonly informers: ManagerInformers;
  private readonly queues: Record<QueueName, WorkQueue>;
  private readonly ctx: ControllerContext;
  private readonly priorities = new InstallPriorities();
  private readonly slots: RolloutSlots;
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
      this.metrics.apiWrites.inc({ verb: method, resource: resourceOfPath(path) });
      log.debug({ method, path }, 'api write');
    };
    client.onApiError = (status, method) =>
      this.metrics.apiErrors.inc({ code: String(status), verb: method });
    this.informers = createInformers(client, options.resyncMs, (error) =>
      log.warn({ err: error }, 'watch error; reconnecting'),
    );
    // a slot granted goes first: the install's next reconcile starts its rollout
    this.slots = new RolloutSlots(options.maxRollouts, (key) => this.queues.install.add(key, Priority.High));
    this.metrics.rollouts.collect({ state: 'rolling' }, () => this.slots.inUse);
    this.metrics.rollouts.collect({ state: 'waiting' }, () => this.slots.waitingCount);
    this.queues = {
      install: new WorkQueue({
        priorityOf: (key) => (this.priorities.rolling(key) ? Priority.High : undefined),
      }),
      upgrade: new WorkQueue(),
      rollback: new WorkQueue(),
      template: new WorkQueue(),
      market: new WorkQueue(),
    };
    for (const [name, queue] of Object.entries(this.queues))
      this.metrics.queueDepth.collect({ queue: name }, () => queue.depth);
    for (const [name, priority] of Object.entries(Priority))
      this.metrics.installQueueDepth.collect({ priority: name.toLowerCase() }, () =>
        this.queues.install.depthOf(priority),
      );
    const arrivals = new RequestArrivals();
    this.ctx = {
      client,
      apis: new Discovery(client),
      informers: this.informers,
      cache: new ControllerCache(this.informers, arrivals),
      expectations: new Expectations(),
      progress: new ProgressRecords(() => Date.now()),
      slots: this.slots,
      events: new EventRecorder(client, (error) => log.warn({ err: error }, 'could not record event')),
      metrics: this.metrics,
      log,
      now: () => new Date(),
      arrivals,
      enqueue: (queue, key, priority) => this.queues[queue].add(key, priority),
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
      for (const object of informer.list()) this.route(informer, object, false);
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

  /** Queues an install: `live` for a watch event, not for the initial list or a resync. */
  private addInstall(key: string, live: boolean): void {
    this.queues.install.add(key, this.priorities.of(key, live));
  }

  private route(informer: Informer<KubeObject>, object: KubeObject, live: boolean): void {
    const i = this.informers;
    const ns = object.metadata?.namespace;
    const spec = (object as { spec?: { install?: string } }).spec;
    if (informer === i.templates) this.queues.template.add(objectKey(object));
    else if (informer === i.markets) this.queues.market.add(objectKey(object));
    else if (informer === i.installs) {
      this.addInstall(objectKey(object), live);
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
      if (spec?.install) this.addInstall(`${ns}/${spec.install}`, live);
    } else if (informer === i.rollbacks) {
      this.queues.rollback.add(objectKey(object));
      if (spec?.install) this.addInstall(`${ns}/${spec.install}`, live);
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
    const routeTo =
      (informer: Informer<KubeObject>) => (event: InformerEvent, object: KubeObject, old?: KubeObject) => {
        if (event === 'delete' && informer === i.markets) return this.queues.market.add(objectKey(object));
        if (event === 'delete' && informer !== i.installs)
          return this.queues[informer === i.templates ? 'template' : 'install'].add(objectKey(object));
        this.route(informer, object, isLiveChange(informer, event, object, old));
      };
    for (const informer of [i.templates, i.installs, i.upgrades, i.rollbacks, i.markets])
      informer.on(routeTo(informer));
    // what is held in memory for an install or a revision goes with it
    i.installs.on((event, install) => {
      if (event !== 'delete') return;
      this.slots.forget(objectKey(install));
      this.ctx.progress.forget(install.metadata?.uid);
      this.ctx.expectations.forget(install);
    });
    i.revisions.on((event, revision) => {
      if (event === 'delete') this.ctx.progress.forget(revision.metadata?.uid);
      const changed = this.priorities.observe(event, revision);
      if (changed) this.slots.rollingChanged(changed, this.priorities.rolling(changed));
    });
    i.revisions.on((event, revision, old) => {
      const install = revision.metadata?.labels?.[LABEL_INSTALL];
      if (install)
        this.addInstall(
          `${revision.metadata!.namespace}/${install}`,
          isLiveChange(i.revisions, event, revision, old),
        );
      const causeRef = (revision as { spec?: { causeRef?: { kind: string; name: string } } }).spec?.causeRef;
      if (causeRef?.kind === 'AppUpgrade')
        this.queues.upgrade.add(`${revision.metadata!.namespace}/${causeRef.name}`);
      if (causeRef?.kind === 'AppRollback')
        this.queues.rollback.add(`${revision.metadata!.namespace}/${causeRef.name}`);
    });
    i.secrets.on((event, secret, old) => {
      const ns = secret.metadata?.namespace;
      for (const install of i.installs.list((o) => o.metadata?.namespace === ns))
        if (namesSecret(install, secret.metadata!.name!))
          this.addInstall(objectKey(install), isLiveChange(i.secrets, event, secret, old));
    });
    for (const informer of [i.hookJobs, i.hookPods]) {
      informer.on((event, object) => {
        if (event === 'resync') return; // the installs' own resync covers them
        const install = object.metadata?.labels?.[LABEL_HOOK_INSTALL];
        if (install) this.queues.install.add(`${object.metadata!.namespace}/${install}`);
      });
    }
    for (const informer of [i.deployments, i.statefulsets]) {
      informer.on((event, workload, old) => {
        const install = workload.metadata?.labels?.[LABEL_INSTALL];
        if (install)
          this.addInstall(
            `${workload.metadata!.namespace}/${install}`,
            isLiveChange(informer, event, workload, old),
          );
      });
    }
  }
}

const namesSecret = (install: KubeObject, secret: string) =>
  (
    install as { spec?: { parameters?: { valueFrom?: { secretKeyRef?: { name?: string } } }[] } }
  ).spec?.parameters?.some((p) => p.valueFrom?.secretKeyRef?.name === secret) ?? false;
