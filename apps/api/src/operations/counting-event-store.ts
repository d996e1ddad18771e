import { AppendManyResult, AppendNewResult, AppendResult, EventStore, ExpectedStreamBatch, NewEvent, StreamBatch } from '@accrual/event-store';
import { Metrics } from './metrics';

const COUNTED = Symbol('accrual:counted-event-store');

/**
 * The same event store, counting what this process appends (`accrual_appends_total`,
 * `accrual_events_appended_total`). A proxy, so every other method of the port, present or
 * added later, passes through untouched.
 */
export function countAppends(store: EventStore, metrics: Metrics): EventStore {
  if ((store as unknown as Record<symbol, boolean>)[COUNTED]) return store;
  const counted: Partial<EventStore> & { [COUNTED]: true } = {
    [COUNTED]: true,
    append: async (streamId, events, options): Promise<AppendResult> => {
      const result = await store.append(streamId, events, options);
      observe(metrics, events.length);
      return result;
    },
    appendNew: async (streamId: string, events: readonly NewEvent[]): Promise<AppendNewResult> => {
      const result = await store.appendNew(streamId, events);
      observe(metrics, result.appendedIds.length);
      return result;
    },
    appendNewMany: async (batches: readonly StreamBatch[]): Promise<AppendNewResult> => {
      const result = await store.appendNewMany(batches);
      observe(metrics, result.appendedIds.length);
      return result;
    },
    appendMany: async (batches: readonly ExpectedStreamBatch[]): Promise<AppendManyResult> => {
      const result = await store.appendMany(batches);
      observe(metrics, result.appendedCount);
      return result;
    },
  };
  return new Proxy(store, {
    get: (target, property) => {
      if (Object.prototype.hasOwnProperty.call(counted, property)) return counted[property as keyof typeof counted];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function observe(metrics: Metrics, events: number): void {
  metrics.appends.inc();
  if (events > 0) metrics.eventsAppended.inc(events);
}
