import type { KubeClient, KubeObject } from '../../kube/client.js';
import { KubeApiError } from '../../kube/client.js';

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Told of every failed acquire or renew attempt (the election itself retries). */
  onError?: (error: unknown) => void;
}

const microTime = (d = new Date()) => d.toISOString().replace('Z', '000Z');

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: a lease is taken over only
 * when its record has not changed for leaseDurationSeconds by *our* clock (no clock-skew trust),
 * updates use resourceVersion so two candidates can never both win, and a leader that cannot renew
 * within renewDeadline steps down.
 */
export class LeaderElector {
  private leading = false;
  private stopped = false;
  private lastRecord = '';
  private observedAt = 0;
  private lastRenew = 0;
  private readonly o: Required<LeaderElectionOptions>;

  constructor(
    private readonly client: KubeClient,
    options: LeaderElectionOptions,
  ) {
    this.o = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onError: () => undefined,
      ...options,
    };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until elected (calls onStart), then renews; calls onStop if leadership is lost. */
  async run(callbacks: { onStart: () => void; onStop: () => void }): Promise<void> {
    while (!this.stopped) {
      let renewed: boolean;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (error) {
        this.o.onError(error);
        renewed = false;
      }
      if (renewed) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          callbacks.onStart();
        }
      } else if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.leading = false;
        callbacks.onStop();
        return;
      }
      await new Promise((r) =>
        setTimeout(r, this.o.retryPeriodMs * (this.leading ? 1 : 1 + Math.random() * 0.2)),
      );
    }
  }

  /** Gives the lease up so another replica takes over at once (graceful shutdown). */
  async release(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    this.leading = false;
    const lease = await this.client.get<Lease>(this.ref());
    if (lease?.spec?.holderIdentity !== this.o.identity) return;
    lease.spec = { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime() };
    await this.client.replace(lease).catch(() => undefined);
  }

  private ref() {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: this.o.namespace,
      name: this.o.name,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.client.get<Lease>(this.ref());
    const mine = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewTime: microTime(now),
    };
    if (!lease) {
      await this.client.create<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime]);
    if (record !== this.lastRecord) {
      this.lastRecord = record;
      this.observedAt = Date.now();
    }
    const held = spec.holderIdentity && spec.holderIdentity !== this.o.identity;
    const expired =
      Date.now() - this.observedAt > (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    if (held && !expired) return false;
    const taking = spec.holderIdentity !== this.o.identity;
    lease.spec = {
      ...spec,
      ...mine,
      ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.client.replace(lease);
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.conflict) return false;
      throw error;
    }
  }
}
