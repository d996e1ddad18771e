import { Inject } from '@nestjs/common';
import { hash } from 'node:crypto';
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
import { CommandContext, loadStream, metadataFor, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { problem } from '../../http/problem';
import { UsageAppender } from './usage-appender';

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

/**
 * The usage id names the event, so a resent usage event is recognized for good, not for a window.
 * The same UUID as `deterministicUuid(\`usage:${usageId}\`)` (a unit test holds them together),
 * made with the one-shot `hash`: `createHash` per event was 10% of the API's time at 1,000 events
 * per request (docs/benchmarks.md).
 */
export function usageEventId(usageId: string): string {
  const hex = hash('sha1', `accrual:usage:${usageId}`, 'hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
  /**
   * Each customer's usage stream id, made once: the same string every request, so its hash is
   * computed once, not by every map the append passes through (the merge of waiting requests,
   * the store). As many as the customers known.
   */
  private readonly usageStreamIds = new Map<string, string>();
  private readonly appender: UsageAppender;

  constructor(private readonly runtime: Runtime) {
    this.appender = new UsageAppender(runtime.eventStore);
  }

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
    for (let index = 0; index < events.length; index += 1) {
      try {
        const input = parseUsage(events[index], context.receivedAtMs);
        // Known customers and meters are answered from memory, without a promise per event.
        const customerId = this.knownCustomerOf(input) ?? (await this.loadCustomerOf(input));
        if (!this.knownMeters.has(input.meterCode)) await this.loadMeter(input.meterCode);
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
    // The whole request in one append across its customers' streams (merged with requests that
    // arrive meanwhile): one statement and one commit, and the answer waits for the commit.
    const share = await this.appender.append(
      Array.from(byCustomer, ([customerId, batch]) => ({ streamId: this.usageStreamOf(customerId), events: batch })),
    );
    return {
      outcome: { accepted: share.appended, duplicates: duplicates + share.duplicates, rejected },
      position: share.position ?? (await this.runtime.eventStore.headPosition()),
    };
  }

  private usageStreamOf(customerId: string): string {
    let streamId = this.usageStreamIds.get(customerId);
    if (streamId === undefined) {
      streamId = streams.usage(customerId);
      this.usageStreamIds.set(customerId, streamId);
    }
    return streamId;
  }

  /** The customer behind `input` when already known, else null. */
  private knownCustomerOf(input: UsageInput): string | null {
    if (input.subscriptionId !== null) return this.subscriptionCustomers.get(input.subscriptionId) ?? null;
    return this.knownCustomers.has(input.customerId as string) ? input.customerId : null;
  }

  /** The customer behind `input`, from the log; remembered, since it never changes. */
  private async loadCustomerOf(input: UsageInput): Promise<string> {
    if (input.subscriptionId !== null) {
      const loaded = await loadStream(this.runtime.eventStore, streams.subscription(input.subscriptionId), subscriptionDecider);
      if (loaded.state.status === 'none') throw new NotFoundError('subscription', input.subscriptionId);
      this.subscriptionCustomers.set(input.subscriptionId, loaded.state.customerId);
      return loaded.state.customerId;
    }
    const customerId = input.customerId as string;
    const loaded = await loadStream(this.runtime.eventStore, streams.customer(customerId), customerDecider);
    if (loaded.state.status === 'none') throw new NotFoundError('customer', customerId);
    this.knownCustomers.add(customerId);
    return customerId;
  }

  private async loadMeter(code: string): Promise<void> {
    const loaded = await loadStream(this.runtime.eventStore, streams.meter(code), meterDecider);
    if (loaded.state.status === 'none') throw new RuleViolationError('unknown-meter', `meter ${code} does not exist`);
    this.knownMeters.add(code);
  }
}

function rejection(index: number, error: DomainError): UsageRejection {
  const status = { invalid: 400, not_found: 404, conflict: 409, rule: 422 }[error.kind];
  return { index, type: problem(status, error.code, error.message).type, detail: error.message };
}
