/**
 * The Postgres event store's schema. The same statements run on server Postgres (15+) and on
 * PGlite (Postgres 18 in WebAssembly). `docs/event-store.md` explains the ordering argument.
 */

export const EVENTS_TABLE = 'event_store_events';
export const STREAMS_TABLE = 'event_store_streams';
export const POSITION_SEQUENCE = 'event_store_global_position';
export const NOTIFICATION_CHANNEL = 'accrual_events';

/**
 * Key of the session-level advisory lock that orders appends: held only while an appending
 * transaction takes its xid and reserves its positions. Below 2^31, so in `pg_locks` it shows
 * as classid 0, objid = the key, objsubid 1.
 */
export const ORDERING_LOCK_KEY = 1_094_931_029;

/**
 * First key of the two-int advisory lock space (objsubid 2 in `pg_locks`) used for per-stream
 * transaction locks: (STREAM_LOCK_CLASS, hashtext(stream id)). A hash collision only makes two
 * streams' appends wait for each other; it never breaks a rule.
 */
export const STREAM_LOCK_CLASS = 1_094_931_030;
const MIGRATION_LOCK_CLASS = 1_094_931_031;

/**
 * Each entry is one statement (PGlite's parameterised queries take one statement at a time).
 * Every statement is idempotent, and `migrate()` runs them under a transaction-level advisory lock,
 * so two processes starting together do not race on the catalog.
 */
export const MIGRATION_LOCK_STATEMENT = `select pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}, 0)`;

export const SCHEMA_STATEMENTS: readonly string[] = [
  `create sequence if not exists ${POSITION_SEQUENCE} as bigint start with 1 minvalue 1 cache 1`,

  `create table if not exists ${EVENTS_TABLE} (
    global_position bigint primary key check (global_position > 0),
    transaction_id xid8 not null,
    stream_id text not null,
    stream_revision bigint not null check (stream_revision >= 0),
    event_id uuid not null unique,
    type text not null,
    data jsonb not null,
    metadata jsonb not null,
    unique (stream_id, stream_revision)
  )`,

  `create table if not exists ${STREAMS_TABLE} (
    stream_id text primary key,
    revision bigint not null check (revision >= 0)
  )`,

  // Serialises appends to one stream for the whole transaction, then reads the stream's state.
  // It must be a volatile function: each statement in it takes a fresh snapshot, so the reads
  // after the lock see what the previous holder committed (one plain statement would not).
  // The advisory lock needs no xid, so the ordering rule below still holds.
  `create or replace function event_store_lock_stream(p_stream_id text, p_event_ids uuid[])
  returns table (current_revision bigint, existing jsonb)
  language plpgsql volatile as $fn$
  begin
    perform pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext(p_stream_id));
    return query select
      (select s.revision from ${STREAMS_TABLE} s where s.stream_id = p_stream_id),
      (select coalesce(jsonb_agg(jsonb_build_object(
          'id', e.event_id::text,
          'streamId', e.stream_id,
          'type', e.type,
          'revision', e.stream_revision::text,
          'position', e.global_position::text)), '[]'::jsonb)
        from ${EVENTS_TABLE} e
        where e.event_id = any(p_event_ids));
  end
  $fn$`,

  // Writes a batch whose checks passed. First, under the ordering lock and before any write,
  // it takes the transaction's xid and reserves contiguous positions; so across appends xid order
  // equals position order. The lock is session-level so it can be released at once instead of at
  // commit; the exception block releases it on any error, cancellation included.
  `create or replace function event_store_append_events(
    p_stream_id text, p_first_revision bigint, p_events jsonb, p_skip_stored_ids boolean)
  returns table (appended_count bigint, first_position bigint)
  language plpgsql volatile as $fn$
  declare
    v_event_count bigint := jsonb_array_length(p_events);
    v_first_position bigint;
    v_appended_count bigint;
  begin
    if v_event_count = 0 then
      raise exception 'event store: an append needs at least one event';
    end if;
    if pg_current_xact_id_if_assigned() is not null then
      raise exception 'event store: an append must be the first write of its transaction'
        using hint = 'its xid must be assigned under the ordering lock; see docs/event-store.md';
    end if;
    begin
      perform pg_advisory_lock(${ORDERING_LOCK_KEY});
      perform pg_current_xact_id();
      v_first_position := nextval('${POSITION_SEQUENCE}');
      if v_event_count > 1 then
        perform setval('${POSITION_SEQUENCE}', v_first_position + v_event_count - 1);
      end if;
      perform pg_advisory_unlock(${ORDERING_LOCK_KEY});
    exception when others or query_canceled then
      perform pg_advisory_unlock(${ORDERING_LOCK_KEY});
      raise;
    end;

    insert into ${EVENTS_TABLE}
      (global_position, transaction_id, stream_id, stream_revision, event_id, type, data, metadata)
    select v_first_position + batch.ordinality - 1, pg_current_xact_id(), p_stream_id,
           p_first_revision + batch.ordinality - 1, batch.id, batch.type, batch.data, batch.metadata
    from rows from (jsonb_to_recordset(p_events) as (id uuid, type text, data jsonb, metadata jsonb))
      with ordinality as batch(id, type, data, metadata, ordinality)
    order by batch.ordinality
    on conflict (event_id) do nothing;
    get diagnostics v_appended_count = row_count;

    if v_appended_count <> v_event_count and not p_skip_stored_ids then
      raise exception 'event store: % of % events written', v_appended_count, v_event_count
        using errcode = 'unique_violation', constraint = '${EVENTS_TABLE}_event_id_key';
    end if;

    insert into ${STREAMS_TABLE} (stream_id, revision)
    values (p_stream_id, p_first_revision + v_event_count - 1)
    on conflict (stream_id) do update set revision = excluded.revision
      where ${STREAMS_TABLE}.revision = p_first_revision - 1;
    if not found then
      raise exception 'event store: stream % is not at revision %', p_stream_id, p_first_revision - 1
        using errcode = 'serialization_failure';
    end if;

    perform pg_notify('${NOTIFICATION_CHANNEL}', '');
    return query select v_appended_count, v_first_position;
  end
  $fn$`,
];
