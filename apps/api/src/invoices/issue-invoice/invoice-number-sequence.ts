import { Inject, Injectable } from '@nestjs/common';
import { InvoiceNumberAssignedData, streams } from '@accrual/billing';
import { Runtime, RUNTIME } from '@accrual/platform';

/**
 * Most assignments one append to the sequence may carry. Only the last append's assignments can
 * lack their invoice (every issuer finishes them before it appends), so an issuer checks this many
 * trailing assignments (ADR 0003).
 */
export const ASSIGNMENTS_PER_APPEND_MAX = 500;

export interface SequenceHead {
  /** Revision of the sequence stream's last event; -1 when no number was ever assigned. */
  revision: number;
  last: InvoiceNumberAssignedData | null;
  /** The last ASSIGNMENTS_PER_APPEND_MAX assignments, oldest first. */
  trailing: InvoiceNumberAssignedData[];
}

/**
 * Reads the head of the invoice-number sequence stream. It remembers how far it has read and
 * reads forward from there each time, so asking for the head costs one short read, and the
 * caller still appends at the true head's revision (a stale head only costs a retry). It also
 * remembers which trailing assignments are known to carry their invoice, so that an issuer checks
 * each of them once per process rather than at every issue.
 */
@Injectable()
export class InvoiceNumberSequence {
  private head: SequenceHead = { revision: -1, last: null, trailing: [] };
  /** Sequence numbers known to be on their invoice; only those of the trailing window are kept. */
  private readonly finished = new Set<number>();

  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async readHead(): Promise<SequenceHead> {
    for (;;) {
      const events = await this.runtime.eventStore.readStream(streams.invoiceNumbers(), {
        fromRevision: BigInt(this.head.revision + 1),
        maxCount: 10_000,
      });
      if (events.length === 0) return this.head;
      this.advance(events.map((event) => event.data as unknown as InvoiceNumberAssignedData), Number(events[events.length - 1].revision));
    }
  }

  /**
   * Takes `assignments` as the events that follow `head`: the caller has just appended them at
   * `head`'s revision (the store checked it), so the next `readHead` reads on after them instead of
   * reading them back (a billing run's issue step did, 500 assignments per page). Unless the head
   * moved meanwhile: then it already holds them, or the next read finds them.
   */
  appended(head: SequenceHead, assignments: readonly InvoiceNumberAssignedData[]): void {
    if (this.head.revision !== head.revision || assignments.length === 0) return;
    this.advance(assignments, head.revision + assignments.length);
  }

  /** The head after `assignments`, the events up to `revision`. */
  private advance(assignments: readonly InvoiceNumberAssignedData[], revision: number): void {
    const trailing = [...this.head.trailing, ...assignments].slice(-ASSIGNMENTS_PER_APPEND_MAX);
    this.head = { revision, last: trailing[trailing.length - 1], trailing };
    for (const sequence of this.finished) if (sequence < trailing[0].sequence) this.finished.delete(sequence);
  }

  /** The head's trailing assignments not yet known to carry their invoice, oldest first. */
  unfinished(head: SequenceHead): InvoiceNumberAssignedData[] {
    return head.trailing.filter((assignment) => !this.finished.has(assignment.sequence));
  }

  /** Remembers that an assignment's invoice carries its number. */
  markFinished(sequence: number): void {
    if (this.finished.size < 4 * ASSIGNMENTS_PER_APPEND_MAX) this.finished.add(sequence);
  }
}
