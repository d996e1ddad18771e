import { ConflictError, PersonalFields, StoredPersonalData } from '@accrual/billing';
import { SqlClient, SqlExecutor } from '@accrual/database';
import { JsonObject, RecordedEvent } from '@accrual/event-store';
import { decodeDataKey, encodeDataKey, newDataKey, openPersonalFields, sealPersonalFields } from './personal-data-crypto';

/**
 * How stored events are shown to people (audit queries): personal fields (name, email, address)
 * are kept encrypted with a per-customer key outside the log (GDPR crypto-shredding, issue 6).
 * `reveal` decrypts them while the customer's key exists and shows them as erased once it is gone.
 */
export interface PersonalDataView {
  reveal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
}

/** Personal fields as people see them: readable, or erased (all null). */
export type RevealedPersonalData =
  | ({ erased: false } & PersonalFields)
  | { erased: true; name: null; email: null; address: null };

export const ERASED_PERSONAL_DATA: RevealedPersonalData = { erased: true, name: null, email: null, address: null };

/** The key row of one customer: `dataKey` null once erased (the tombstone stays, so erasure is known). */
interface KeyRow {
  dataKey: string | null;
  erased: boolean;
}

/**
 * Crypto-shredding (docs/compliance.md). Data keys live in `privacy.customer_keys`, a table of
 * their own beside the read models, never in the log: destroying a key makes every copy of the
 * ciphertext (log, read models, Kafka, backups of the log) unreadable. Keys are read from Postgres
 * on each use and never cached, so an erasure takes effect at once in every process.
 */
export class PersonalDataVault implements PersonalDataView {
  constructor(
    private readonly sql: SqlClient,
    private readonly masterKey: Buffer | null,
  ) {}

  /**
   * Seals a new customer's personal fields under its data key, made on first use. A key made for
   * a create that is then refused stays unused: harmless, and reused by a retry.
   */
  async seal(customerId: string, fields: PersonalFields): Promise<StoredPersonalData> {
    await this.sql.query(
      `insert into privacy.customer_keys (customer_id, data_key) values ($1, $2) on conflict (customer_id) do nothing`,
      [customerId, encodeDataKey(newDataKey(), customerId, this.masterKey)],
    );
    const row = (await this.keyRows([customerId])).get(customerId);
    // An erased customer's id stays taken: its log and figures remain.
    if (!row || !row.dataKey) throw new ConflictError('customer-exists', `customer ${customerId} already exists`);
    return { encrypted: sealPersonalFields(this.dataKey(customerId, row.dataKey), customerId, fields) };
  }

  /** The personal fields of one customer as people may see them now. */
  async open(customerId: string, stored: StoredPersonalData): Promise<RevealedPersonalData> {
    return this.openWith(customerId, stored, (await this.keyRows([customerId])).get(customerId));
  }

  /**
   * Destroys the customer's data key (crypto-shredding) and leaves a tombstone. Idempotent. The
   * answers stored for `Idempotency-Key` replays of `POST /v1/customers` hold the fields in the
   * clear (a customer view is the only answer with both `email` and `erased`): they are erased
   * in the same transaction, so a replay answers the customer as erased.
   */
  async erase(customerId: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query(
        `insert into privacy.customer_keys (customer_id, data_key, erased_at) values ($1, null, now())
         on conflict (customer_id) do update set data_key = null, erased_at = coalesce(privacy.customer_keys.erased_at, now())`,
        [customerId],
      );
      await tx.query(
        `update api.idempotency_keys
         set body = body || '{"name": null, "email": null, "address": null, "erased": true}'::jsonb
         where body ->> 'id' = $1 and body ? 'email' and body ? 'erased'`,
        [customerId],
      );
    });
  }

  /** Stored events with their personal fields opened, or erased; every other field as stored. */
  async reveal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const customerIds = [...new Set(events.filter((event) => event.type === 'CustomerCreated').map((event) => String(event.data.id)))];
    if (customerIds.length === 0) return [...events];
    const rows = await this.keyRows(customerIds);
    return events.map((event) => (event.type === 'CustomerCreated' ? this.revealCustomerCreated(event, rows.get(String(event.data.id))) : event));
  }

  private revealCustomerCreated(event: RecordedEvent, row: KeyRow | undefined): RecordedEvent {
    const customerId = String(event.data.id);
    if (!('personal' in event.data)) {
      // Schema version 1: the fields were stored in the clear; once erased they are shown as null.
      return row?.erased ? { ...event, data: { ...event.data, name: null, email: null } } : event;
    }
    const revealed = this.openWith(customerId, event.data.personal as StoredPersonalData, row);
    const { erased, ...fields } = revealed;
    const personal = erased ? { erased: true } : fields;
    return { ...event, data: { ...event.data, personal: personal as unknown as JsonObject } };
  }

  private openWith(customerId: string, stored: StoredPersonalData, row: KeyRow | undefined): RevealedPersonalData {
    if ('erased' in stored || row?.erased) return ERASED_PERSONAL_DATA;
    if ('clear' in stored) return { erased: false, ...stored.clear };
    // No key: it was destroyed, or never reached this database; either way nobody can read it.
    if (!row?.dataKey) return ERASED_PERSONAL_DATA;
    return { erased: false, ...openPersonalFields(this.dataKey(customerId, row.dataKey), customerId, stored.encrypted) };
  }

  private dataKey(customerId: string, stored: string): Buffer {
    return decodeDataKey(stored, customerId, this.masterKey);
  }

  private async keyRows(customerIds: readonly string[]): Promise<Map<string, KeyRow>> {
    const result = await this.sql.query<{ customer_id: string; data_key: string | null; erased_at: Date | null }>(
      `select customer_id, data_key, erased_at from privacy.customer_keys
       where customer_id in (select jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(customerIds)],
    );
    return new Map(result.rows.map((row) => [row.customer_id, { dataKey: row.data_key, erased: row.erased_at !== null }]));
  }
}

/** The keys table: in schema `privacy`, apart from the log and from the read models (which replay rebuilds). */
export async function migratePersonalDataKeys(sql: SqlExecutor & Pick<SqlClient, 'exec'>): Promise<void> {
  await sql.exec(`
    create schema if not exists privacy;
    create table if not exists privacy.customer_keys (
      customer_id text primary key,
      data_key text,
      created_at timestamptz not null default now(),
      erased_at timestamptz
    );
  `);
}
