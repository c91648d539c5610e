/** How long a granted slot stays reserved for an install that neither starts its rollout nor releases it. */
const RESERVATION_TTL_MS = 60_000;

const namespaceOf = (installKey: string) => installKey.slice(0, installKey.indexOf('/'));

/**
 * How many installs may roll out at once (--max-rollouts). A change of a fleet (2,000 installs
 * created, or a GitOps bump of all their versions) otherwise starts every rollout together: the
 * controller-manager then works on all of them and each finishes late, so the first install is Ready
 * near the end and one created meanwhile waits for the whole fleet. With a cap the rollouts that
 * started finish quickly and the next start as they end.
 *
 * A slot is in use while an install has a revision in progress (`rollingChanged`, from the AppRevision
 * informer) or is reserved: granted to an install whose reconcile is about to create its revision.
 * Installs that find every slot in use wait in line, one line per namespace; a freed slot goes to the
 * namespace with the fewest slots in use, in turn among equals, so one team's fleet does not hold back
 * another team's install. A slot is granted
 * by reserving it and waking the install (`wake`), so two installs never race for the same slot.
 * Rollouts that restore service (automatic rollbacks) and revisions in progress do not ask.
 */
export class RolloutSlots {
  private readonly rolling = new Set<string>();
  /** Install key → when its slot was granted (until its revision is seen, or it releases it). */
  private readonly reserved = new Map<string, number>();
  /** Namespace → its installs waiting, oldest first; namespaces in the order they are served. */
  private readonly lines = new Map<string, string[]>();
  private readonly waiting = new Set<string>();

  constructor(
    /** 0: no limit. */
    readonly limit: number,
    private readonly wake: (installKey: string) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Slots in use: installs rolling out or reserved. */
  get inUse(): number {
    return this.rolling.size + this.reserved.size;
  }

  /** Installs waiting for a slot. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /**
   * Asks for a slot to start a rollout of `installKey`: true when it has one (already rolling or
   * reserved, a free slot, or no limit); otherwise it waits in line and is woken when granted one.
   */
  acquire(installKey: string): boolean {
    if (!this.limit || this.rolling.has(installKey) || this.reserved.has(installKey)) return true;
    this.expireReservations();
    if (this.inUse < this.limit && !this.waiting.size) {
      this.reserved.set(installKey, this.clock());
      return true;
    }
    if (!this.waiting.has(installKey)) {
      this.waiting.add(installKey);
      const namespace = namespaceOf(installKey);
      const line = this.lines.get(namespace);
      if (line) line.push(installKey);
      else this.lines.set(namespace, [installKey]);
    }
    this.grant();
    return this.reserved.has(installKey);
  }

  /** Whether the install waits in line for a slot. */
  waits(installKey: string): boolean {
    return this.waiting.has(installKey);
  }

  /**
   * The install's reconcile ended without starting a rollout nor asking for a slot (its spec needs no
   * change any more, or it waits for something else): it gives back a slot granted to it and leaves
   * the line.
   */
  release(installKey: string): void {
    this.leaveLine(installKey);
    if (this.reserved.delete(installKey)) this.grant();
  }

  /** Whether an install has a revision in progress, as the AppRevision informer saw it change. */
  rollingChanged(installKey: string, rolling: boolean): void {
    if (rolling) {
      this.rolling.add(installKey);
      this.reserved.delete(installKey);
      this.leaveLine(installKey);
    } else if (this.rolling.delete(installKey)) this.grant();
  }

  /** The install was deleted: it neither holds nor waits for a slot. */
  forget(installKey: string): void {
    const held = this.rolling.delete(installKey) || this.reserved.delete(installKey);
    this.leaveLine(installKey);
    if (held) this.grant();
  }

  /** Gives free slots to the installs in line, a namespace at a time, and wakes them. */
  private grant(): void {
    while (this.limit && this.inUse < this.limit && this.waiting.size) {
      const namespace = this.leastServedLine();
      const line = this.lines.get(namespace)!;
      const installKey = line.shift()!;
      this.lines.delete(namespace);
      if (line.length) this.lines.set(namespace, line); // to the back: the next namespace goes next
      this.waiting.delete(installKey);
      this.reserved.set(installKey, this.clock());
      this.wake(installKey);
    }
  }

  /**
   * The namespace in line with the fewest slots in use — a team with nothing rolling goes before one
   * whose fleet holds most of them — and among equals the one whose turn it is.
   */
  private leastServedLine(): string {
    const used = new Map<string, number>();
    for (const key of [...this.rolling, ...this.reserved.keys()]) {
      const namespace = namespaceOf(key);
      used.set(namespace, (used.get(namespace) ?? 0) + 1);
    }
    let chosen = '';
    let fewest = Infinity;
    for (const namespace of this.lines.keys()) {
      const count = used.get(namespace) ?? 0;
      if (count < fewest) [chosen, fewest] = [namespace, count];
      if (count === 0) break;
    }
    return chosen;
  }

  private leaveLine(installKey: string): void {
    if (!this.waiting.delete(installKey)) return;
    const namespace = namespaceOf(installKey);
    const line = this.lines.get(namespace)?.filter((k) => k !== installKey);
    if (line?.length) this.lines.set(namespace, line);
    else this.lines.delete(namespace);
  }

  /**
   * A reservation whose install never created its revision nor released it (its reconcile was lost
   * to a crash of the worker, say) is taken back after RESERVATION_TTL_MS.
   */
  private expireReservations(): void {
    const now = this.clock();
    for (const [installKey, at] of this.reserved)
      if (now - at >= RESERVATION_TTL_MS) this.reserved.delete(installKey);
  }
}
