import { AccrualEvent, CURRENT_SCHEMA_VERSION, Decider, fold, toAccrualEvent } from '@accrual/billing';
import {
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '@accrual/event-store';
import { deterministicUuid, randomEventId } from './event-ids';

/** Who issued a command, and when by the wall clock: the metadata of every event it appends. */
export interface CommandContext {
  actor: string;
  role: string;
  correlationId: string;
  causationId: string | null;
  requestId: string;
  /** Wall-clock instant the command was received, epoch ms; never business time. */
  receivedAtMs: number;
}

export interface Decided<State> {
  state: State;
  /** Events appended by this command (empty when it changed nothing). */
  events: AccrualEvent[];
  /** Log position of the command's last event, or of the stream's last one when nothing was appended. */
  position: bigint | null;
  revision: bigint;
}

/** A bound on retries after a version conflict (TigerBeetle: a limit on everything). */
export const MAX_CONFLICT_RETRIES = 5;

export function toNewEvents(
  events: readonly AccrualEvent[],
  context: CommandContext,
  idSeed?: string,
): NewEvent[] {
  return events.map((event, index) => ({
    id: idSeed ? deterministicUuid(`${idSeed}#${index}`) : randomEventId(),
    type: event.type,
    data: event.data as unknown as JsonObject,
    metadata: metadataFor(event.type, context),
  }));
}

export function metadataFor(type: AccrualEvent['type'], context: CommandContext): EventMetadata {
  return {
    actor: context.actor,
    role: context.role,
    correlationId: context.correlationId,
    causationId: context.causationId ?? context.requestId,
    requestId: context.requestId,
    recordedAt: new Date(context.receivedAtMs).toISOString(),
    schemaVersion: CURRENT_SCHEMA_VERSION[type] ?? 1,
  };
}

/** A stored event as the domain sees it: upcast to the current schema. */
export function toDomainEvent(recorded: RecordedEvent): AccrualEvent {
  return toAccrualEvent(recorded.type, recorded.metadata.schemaVersion, recorded.data);
}

export interface LoadedStream<State> {
  state: State;
  revision: bigint | null;
  lastPosition: bigint | null;
}

export async function loadStream<State, Event extends AccrualEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Event>,
): Promise<LoadedStream<State>> {
  const recorded = await store.readStream(streamId);
  const last = recorded[recorded.length - 1];
  return {
    state: fold(decider, recorded.map((event) => toDomainEvent(event) as Event)),
    revision: last ? last.revision : null,
    lastPosition: last ? last.position : null,
  };
}

/**
 * Loads a stream, decides, and appends at the revision it read. On a version conflict (someone
 * wrote in between) it reloads and decides again, at most MAX_CONFLICT_RETRIES times.
 * `idSeed`, when given, makes event ids deterministic for an idempotent retry by the caller.
 */
export async function handleCommand<State, Event extends AccrualEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Event>,
  decide: (state: State) => Event[],
  context: CommandContext,
  idSeed?: string,
): Promise<Decided<State>> {
  for (let attempt = 0; ; attempt += 1) {
    const loaded = await loadStream(store, streamId, decider);
    const events = decide(loaded.state);
    if (events.length === 0) {
      return { state: loaded.state, events, position: loaded.lastPosition, revision: loaded.revision ?? -1n };
    }
    const expectedRevision: ExpectedRevision = loaded.revision === null ? 'no_stream' : loaded.revision;
    try {
      const seed = idSeed ? `${idSeed}@${loaded.revision ?? -1n}` : undefined;
      const result = await store.append(streamId, toNewEvents(events, context, seed), { expectedRevision });
      const state = events.reduce((current, event) => decider.evolve(current, event), loaded.state);
      return { state, events, position: result.position, revision: result.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}
