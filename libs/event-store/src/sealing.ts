import { EventStore } from './event-store.port';

/**
 * Seals bind the heads of all streams up to a log position (docs/event-store.md, "Seals"). Only
 * the Postgres store makes them; the apps seal periodically with `startPeriodicSeals`.
 */

/** One seal record: it covers every event at a position up to `position`. */
export interface Seal {
  position: bigint;
  /** Events covered since the previous seal. */
  eventCount: bigint;
  /** Lowercase hex SHA-256, chained to the previous seal's digest. */
  digest: string;
}

/** A store that can seal its log. */
export interface SealingEventStore extends EventStore {
  /** Seals everything readers can already see; returns the seals made (none when nothing is new). */
  seal(): Promise<Seal[]>;
}

export function isSealingEventStore(store: EventStore): store is SealingEventStore {
  return typeof (store as Partial<SealingEventStore>).seal === 'function';
}

/** `ACCRUAL_SEAL_INTERVAL_SECONDS`: seconds between seals; 0 turns sealing off. Default 60. */
export const SEAL_INTERVAL_SECONDS_DEFAULT = 60;

export function sealIntervalMsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.ACCRUAL_SEAL_INTERVAL_SECONDS;
  if (raw === undefined || raw === '') return SEAL_INTERVAL_SECONDS_DEFAULT * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`ACCRUAL_SEAL_INTERVAL_SECONDS must be a number of seconds >= 0, got ${JSON.stringify(raw)}`);
  }
  return Math.round(seconds * 1000);
}

export interface PeriodicSeals {
  /** Stops the timer and waits for a seal in progress. */
  stop(): Promise<void>;
}

/**
 * Seals every `intervalMs` while the process runs (a store that cannot seal, or an interval of 0:
 * nothing). A failed seal is reported and tried again at the next tick; ticks never overlap.
 * The timer does not keep the process alive.
 */
export function startPeriodicSeals(
  store: EventStore,
  intervalMs: number,
  onError: (error: unknown) => void = reportSealError,
): PeriodicSeals {
  if (!isSealingEventStore(store) || intervalMs <= 0) return { stop: async () => undefined };
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = store
      .seal()
      .then(() => undefined, onError)
      .finally(() => {
        inFlight = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

function reportSealError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ level: 'error', msg: 'event store: sealing failed; retrying at the next interval', error: message }));
}
