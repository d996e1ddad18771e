import { Client, ClientConfig } from 'pg';

/**
 * Doorbells for catch-up subscriptions: "the log may have grown, read again". A ring carries no
 * data and may be lost or repeated; subscriptions poll on a timer as well, so a lost ring only
 * delays delivery by one poll interval.
 */
export type WakeUpListener = () => void;

export interface WakeUpSource {
  /** Returns the function that unsubscribes. */
  subscribe(listener: WakeUpListener): () => void;
  close(): Promise<void>;
}

/**
 * Rung in this process after each append a store commits (PGlite's only doorbell). Shared by all
 * stores on one `SqlClient` (see `inProcessWakeUpsFor`), so they wake each other's subscribers.
 */
export class InProcessWakeUps implements WakeUpSource {
  private readonly listeners = new Set<WakeUpListener>();

  subscribe(listener: WakeUpListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ring(): void {
    for (const listener of this.listeners) listener();
  }

  /** Shared: one store closing must not silence the others' subscribers. */
  async close(): Promise<void> {}
}

const inProcessWakeUps = new WeakMap<object, InProcessWakeUps>();

export function inProcessWakeUpsFor(sql: object): InProcessWakeUps {
  let wakeUps = inProcessWakeUps.get(sql);
  if (!wakeUps) {
    wakeUps = new InProcessWakeUps();
    inProcessWakeUps.set(sql, wakeUps);
  }
  return wakeUps;
}

/**
 * Sends `NOTIFY` after appends commit, coalesced: at most one in flight; a request while one is in
 * flight makes one more follow it. So the last append is always followed by a notification that
 * started after its commit, and appends never wait for one. (In the append's own transaction,
 * NOTIFY would take the server-wide notify lock through that commit, serialising all appends.)
 */
export class CoalescingNotifier {
  private inFlight: Promise<void> | undefined;
  private requestedAgain = false;

  constructor(private readonly send: () => Promise<void>) {}

  request(): void {
    if (this.inFlight) {
      this.requestedAgain = true;
      return;
    }
    this.inFlight = this.sendUntilQuiet();
  }

  /** Resolves once nothing is in flight (for `close()`). */
  async drain(): Promise<void> {
    await this.inFlight;
  }

  private async sendUntilQuiet(): Promise<void> {
    do {
      this.requestedAgain = false;
      // A lost notification costs one poll interval, never an event.
      await this.send().catch(() => undefined);
    } while (this.requestedAgain);
    this.inFlight = undefined;
  }
}

const RECONNECT_DELAY_MS = 1_000;

/**
 * LISTEN on a dedicated connection (outside the pool, which must not lose a slot to it), opened
 * when the first subscriber arrives. Appends `pg_notify` in their transaction, so the ring comes
 * at commit, from any process. If the connection drops, it reconnects after a delay; until then
 * the subscriptions' poll interval carries them.
 */
export class PostgresNotificationListener implements WakeUpSource {
  private readonly listeners = new Set<WakeUpListener>();
  private client: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
  ) {}

  subscribe(listener: WakeUpListener): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.reconnectTimer) void this.connect();
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private ring(): void {
    for (const listener of this.listeners) listener();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ ...this.config, application_name: 'accrual-event-store-listener' });
    this.client = client;
    client.on('notification', () => this.ring());
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      // Whatever committed while we were not listening: read once now.
      this.ring();
    } catch {
      this.drop(client);
    }
    if (this.closed) await client.end().catch(() => undefined);
  }

  private drop(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed || this.listeners.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.listeners.size > 0) void this.connect();
    }, RECONNECT_DELAY_MS);
  }
}
