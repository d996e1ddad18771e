import { Inject, Injectable } from '@nestjs/common';
import { InvoiceNumberAssignedData, streams } from '@accrual/billing';
import { Runtime, RUNTIME } from '@accrual/platform';

export interface SequenceHead {
  /** Revision of the sequence stream's last event; -1 when no number was ever assigned. */
  revision: number;
  last: InvoiceNumberAssignedData | null;
}

/**
 * Reads the head of the invoice-number sequence stream. It remembers how far it has read and
 * reads forward from there each time, so asking for the head costs one short read, and the
 * caller still appends at the true head's revision (a stale head only costs a retry).
 */
@Injectable()
export class InvoiceNumberSequence {
  private head: SequenceHead = { revision: -1, last: null };

  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async readHead(): Promise<SequenceHead> {
    for (;;) {
      const events = await this.runtime.eventStore.readStream(streams.invoiceNumbers(), {
        fromRevision: BigInt(this.head.revision + 1),
        maxCount: 10_000,
      });
      if (events.length === 0) return this.head;
      const last = events[events.length - 1];
      this.head = { revision: Number(last.revision), last: last.data as unknown as InvoiceNumberAssignedData };
    }
  }
}
