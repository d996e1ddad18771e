import { EventStore, RecordedEvent } from '@accrual/event-store';
import { projectionLag } from '../projector';

/** Only what `projectionLag` reads: the head and the events after a position. */
function storeOf(events: RecordedEvent[]): EventStore {
  return {
    headPosition: async () => events[events.length - 1]?.position ?? 0n,
    readAll: async ({ after, maxCount }) => events.filter((event) => after === undefined || event.position > after).slice(0, maxCount),
  } as EventStore;
}

const recorded = (position: bigint, recordedAt: string): RecordedEvent => ({
  id: `e-${position}`,
  type: 'CustomerCreated',
  streamId: 'customer-a',
  revision: position - 1n,
  position,
  data: {},
  metadata: { actor: 'test', recordedAt },
});

describe('projection lag', () => {
  const log = [recorded(1n, '2026-01-01T00:00:00Z'), recorded(3n, '2026-01-01T00:00:02Z'), recorded(4n, '2026-01-01T00:00:05Z')];
  const now = Date.parse('2026-01-01T00:00:10Z');

  it('is zero when the checkpoint is at the head', async () => {
    expect(await projectionLag(storeOf(log), 4n, now)).toEqual({ headPosition: 4n, checkpoint: 4n, events: 0n, ms: 0 });
  });

  it('measures how long the oldest event not yet applied has waited', async () => {
    expect(await projectionLag(storeOf(log), 1n, now)).toEqual({ headPosition: 4n, checkpoint: 1n, events: 3n, ms: 8_000 });
    expect(await projectionLag(storeOf(log), 0n, now)).toMatchObject({ events: 4n, ms: 10_000 });
  });

  it('never goes negative when the clock is behind the recording instant', async () => {
    expect(await projectionLag(storeOf(log), 3n, Date.parse('2026-01-01T00:00:00Z'))).toMatchObject({ events: 1n, ms: 0 });
  });
});
