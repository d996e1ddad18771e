import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  customerDecider,
  DomainError,
  InvalidInputError,
  MAX_USAGE_BATCH,
  meterDecider,
  NotFoundError,
  parseUsage,
  RuleViolationError,
  streams,
  subscriptionDecider,
  UsageInput,
  usageRecorded,
} from '@accrual/billing';
import { JsonObject, NewEvent } from '@accrual/event-store';
import { CommandContext, deterministicUuid, loadStream, metadataFor, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { problem } from '../../http/problem';
import { forEachBounded } from '../../shared/bounded-concurrency';

/**
 * Customers' usage streams appended side by side per request. Appends to different streams are
 * independent, and overlapping commits share a WAL flush; the bound leaves pool connections for
 * the other requests (docs/benchmarks.md, usage_http_events_per_s).
 */
export const USAGE_APPENDS_IN_FLIGHT_MAX = 4;

export interface UsageRejection {
  index: number;
  type: string;
  detail: string;
}

export interface UsageOutcome {
  accepted: number;
  duplicates: number;
  rejected: UsageRejection[];
}

/** RecordUsage for one event (`single`) or a batch where each event stands or falls alone. */
export class RecordUsageCommand {
  constructor(
    readonly events: unknown[],
    readonly single: boolean,
    readonly context: CommandContext,
  ) {}
}

/** The usage id names the event, so a resent usage event is recognized for good, not for a window. */
export function usageEventId(usageId: string): string {
  return deterministicUuid(`usage:${usageId}`);
}

@CommandHandler(RecordUsageCommand)
export class RecordUsageHandler implements ICommandHandler<RecordUsageCommand, CommandResult> {
  private readonly recorder: UsageRecorder;

  constructor(@Inject(RUNTIME) runtime: Runtime) {
    this.recorder = new UsageRecorder(runtime);
  }

  async execute({ events, single, context }: RecordUsageCommand): Promise<CommandResult> {
    const { outcome, position } = await this.recorder.record(events, single, context);
    const body: Partial<UsageOutcome> = { accepted: outcome.accepted, duplicates: outcome.duplicates };
    if (!single) body.rejected = outcome.rejected;
    return new CommandResult(202, body, position);
  }
}

/**
 * RecordUsage without Nest: the HTTP handler above and the Kafka ingest path (`accrual.usage-ingest.v1`)
 * both record through it, so both apply the same rules.
 */
export class UsageRecorder {
  /** Facts that never become false once true: a meter, customer or subscription that exists. */
  private readonly knownMeters = new Set<string>();
  private readonly knownCustomers = new Set<string>();
  private readonly subscriptionCustomers = new Map<string, string>();

  constructor(private readonly runtime: Runtime) {}

  /**
   * Records `events`; with `single`, a refused event throws its `DomainError`, otherwise it is
   * listed in `rejected`. `position` is the log position of the last event appended, or the head
   * when nothing was appended.
   */
  async record(events: unknown[], single: boolean, context: CommandContext): Promise<{ outcome: UsageOutcome; position: bigint }> {
    if (events.length > MAX_USAGE_BATCH) {
      throw InvalidInputError.field('events', `a batch holds at most ${MAX_USAGE_BATCH} events`);
    }
    const rejected: UsageRejection[] = [];
    const byCustomer = new Map<string, NewEvent[]>();
    const seen = new Set<string>();
    // One metadata object for the whole request: every event of it has the same who and when.
    const metadata = metadataFor('UsageRecorded', context);
    let duplicates = 0;
    for (const [index, raw] of events.entries()) {
      try {
        const input = parseUsage(raw, context.receivedAtMs);
        const customerId = await this.customerOf(input);
        await this.assertMeter(input.meterCode);
        if (seen.has(input.id)) {
          duplicates += 1;
          continue;
        }
        seen.add(input.id);
        const event = usageRecorded(input, customerId);
        const batch = byCustomer.get(customerId) ?? [];
        if (batch.length === 0) byCustomer.set(customerId, batch);
        batch.push({ id: usageEventId(input.id), type: event.type, data: event.data as unknown as JsonObject, metadata });
      } catch (error) {
        if (single || !(error instanceof DomainError)) throw error;
        rejected.push(rejection(index, error));
      }
    }
    let accepted = 0;
    let position: bigint | null = null;
    await forEachBounded([...byCustomer], USAGE_APPENDS_IN_FLIGHT_MAX, async ([customerId, batch]) => {
      const result = await this.runtime.eventStore.appendNew(streams.usage(customerId), batch);
      accepted += result.appendedIds.length;
      duplicates += result.duplicateIds.length;
      if (result.position !== undefined && (position === null || result.position > position)) position = result.position;
    });
    return {
      outcome: { accepted, duplicates, rejected },
      position: position ?? (await this.runtime.eventStore.headPosition()),
    };
  }

  private async customerOf(input: UsageInput): Promise<string> {
    if (input.subscriptionId !== null) {
      const cached = this.subscriptionCustomers.get(input.subscriptionId);
      if (cached) return cached;
      const loaded = await loadStream(this.runtime.eventStore, streams.subscription(input.subscriptionId), subscriptionDecider);
      if (loaded.state.status === 'none') throw new NotFoundError('subscription', input.subscriptionId);
      this.subscriptionCustomers.set(input.subscriptionId, loaded.state.customerId);
      return loaded.state.customerId;
    }
    const customerId = input.customerId as string;
    if (!this.knownCustomers.has(customerId)) {
      const loaded = await loadStream(this.runtime.eventStore, streams.customer(customerId), customerDecider);
      if (loaded.state.status === 'none') throw new NotFoundError('customer', customerId);
      this.knownCustomers.add(customerId);
    }
    return customerId;
  }

  private async assertMeter(code: string): Promise<void> {
    if (this.knownMeters.has(code)) return;
    const loaded = await loadStream(this.runtime.eventStore, streams.meter(code), meterDecider);
    if (loaded.state.status === 'none') throw new RuleViolationError('unknown-meter', `meter ${code} does not exist`);
    this.knownMeters.add(code);
  }
}

function rejection(index: number, error: DomainError): UsageRejection {
  const status = { invalid: 400, not_found: 404, conflict: 409, rule: 422 }[error.kind];
  return { index, type: problem(status, error.code, error.message).type, detail: error.message };
}
