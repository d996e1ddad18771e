import { SqlClient } from '@accrual/database';
import { RecordedEvent } from '@accrual/event-store';
import { describeWithPostgres } from '../../../test/support/suites';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { migrateApiTables } from './idempotency-store';
import { migratePersonalDataKeys, PersonalDataVault } from './personal-data';
import { newDataKey } from './personal-data-crypto';

/** The key vault on real Postgres: keys outside the log, wrapped by a master key, destroyed by erasure. */
describeWithPostgres('personal data vault (crypto-shredding)', () => {
  let sql: SqlClient;
  let database: TestDatabase;
  const master = newDataKey();
  const fields = { name: 'Grace Hopper', email: 'grace@example.test', address: null };

  beforeAll(async () => {
    ({ sql, database } = await openTestPostgres('accrual_personal_data'));
    await migrateApiTables(sql);
    await migratePersonalDataKeys(sql);
    await migratePersonalDataKeys(sql);
  });

  afterAll(async () => {
    await sql?.close();
    await database?.drop();
  });

  const recorded = (customerId: string, data: Record<string, unknown>, schemaVersion: number): RecordedEvent =>
    ({
      id: customerId,
      streamId: `customer-${customerId}`,
      type: 'CustomerCreated',
      position: 1n,
      revision: 0n,
      data: { id: customerId, currency: 'USD', ...data },
      metadata: { actor: 'test', recordedAt: '2026-01-01T00:00:00Z', schemaVersion },
    }) as unknown as RecordedEvent;

  it('wraps keys under the master key; only a vault holding it opens them', async () => {
    const vault = new PersonalDataVault(sql, master);
    const sealed = await vault.seal('cus_w', fields);
    const row = await sql.query<{ data_key: string }>('select data_key from privacy.customer_keys where customer_id = $1', ['cus_w']);
    expect(row.rows[0].data_key).toMatch(/^w1\./);
    expect(await vault.open('cus_w', sealed)).toEqual({ erased: false, ...fields });
    await expect(new PersonalDataVault(sql, null).open('cus_w', sealed)).rejects.toThrow(/ACCRUAL_MASTER_KEY/);
    await expect(new PersonalDataVault(sql, newDataKey()).open('cus_w', sealed)).rejects.toThrow();
  });

  it('reuses the key of a customer on a retry, and refuses to seal for an erased one', async () => {
    const vault = new PersonalDataVault(sql, null);
    const first = await vault.seal('cus_r', fields);
    const second = await vault.seal('cus_r', { ...fields, name: 'G. Hopper' });
    expect(await vault.open('cus_r', first)).toMatchObject({ name: 'Grace Hopper' });
    expect(await vault.open('cus_r', second)).toMatchObject({ name: 'G. Hopper' });
    await vault.erase('cus_r');
    await vault.erase('cus_r');
    await expect(vault.seal('cus_r', fields)).rejects.toMatchObject({ code: 'customer-exists' });
    expect(await vault.open('cus_r', first)).toEqual({ erased: true, name: null, email: null, address: null });
  });

  it('reveals events: sealed fields opened or erased, clear (schema 1) fields nulled once erased, others untouched', async () => {
    const vault = new PersonalDataVault(sql, null);
    const kept = await vault.seal('cus_k', fields);
    const gone = await vault.seal('cus_g', fields);
    await vault.erase('cus_g');
    await vault.erase('cus_v1');
    const other = { ...recorded('x', {}, 1), type: 'MeterDefined', data: { code: 'calls' } } as unknown as RecordedEvent;
    const revealed = await vault.reveal([
      recorded('cus_k', { personal: kept }, 2),
      recorded('cus_g', { personal: gone }, 2),
      recorded('cus_v1', { name: 'Old', email: 'old@example.test' }, 1),
      recorded('cus_v1_kept', { name: 'Kept', email: 'kept@example.test' }, 1),
      other,
    ]);
    expect(revealed.map((event) => event.data)).toEqual([
      { id: 'cus_k', currency: 'USD', personal: fields },
      { id: 'cus_g', currency: 'USD', personal: { erased: true } },
      { id: 'cus_v1', currency: 'USD', name: null, email: null },
      { id: 'cus_v1_kept', currency: 'USD', name: 'Kept', email: 'kept@example.test' },
      { code: 'calls' },
    ]);
    expect(revealed[4]).toBe(other);
  });
});
