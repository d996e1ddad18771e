import { RecordedEvent } from '@accrual/event-store';

/**
 * How stored events are shown to people (audit queries): personal fields (name, email, address)
 * are kept encrypted with a per-customer key outside the log (GDPR crypto-shredding, issue 6).
 * `reveal` decrypts them while the customer's key exists and shows them as erased once it is gone.
 */
export interface PersonalDataView {
  reveal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
}

/** Until personal fields are encrypted in the log there is nothing to decrypt (issue 6 replaces it). */
export const eventsAsStored: PersonalDataView = {
  reveal: async (events) => [...events],
};
