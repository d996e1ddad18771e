import { SqlClient } from '@accrual/database';

/** First key of the two-int advisory lock that serialises concurrent migrations of `relay.*`. */
const MIGRATION_LOCK_CLASS = 1_919_706_476;

export const RELAY_SCHEMA_STATEMENTS: readonly string[] = [
  'create schema if not exists relay',
  'create table if not exists relay.checkpoints (name text primary key, position numeric(20,0) not null)',
];

/**
 * The relay's checkpoint: the log position up to which the broker has acknowledged every event.
 * One row per relay name, so relays to different clusters can share a database.
 */
export class RelayCheckpoints {
  constructor(
    private readonly sql: SqlClient,
    readonly name: string,
  ) {}

  /** Safe at every start and from several processes at once. */
  async migrate(): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}, 0)`);
      for (const statement of RELAY_SCHEMA_STATEMENTS) await tx.query(statement);
    });
  }

  /** 0n when this relay has never published anything. */
  async load(): Promise<bigint> {
    const result = await this.sql.query<{ position: string }>('select position from relay.checkpoints where name = $1', [this.name]);
    return BigInt(result.rows[0]?.position ?? '0');
  }

  /**
   * Never moves backwards: a second relay left running by mistake, lagging behind, must not drag
   * the checkpoint back (it would only cause more repeats). An operator who wants a re-send
   * lowers it by hand with an `update` while the relay is stopped.
   */
  async save(position: bigint): Promise<void> {
    await this.sql.query(
      `insert into relay.checkpoints (name, position) values ($1, $2)
       on conflict (name) do update set position = greatest(relay.checkpoints.position, excluded.position)`,
      [this.name, position.toString()],
    );
  }
}
