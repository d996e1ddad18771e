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

  // A page of the global log. Only rows whose transaction id is below the snapshot's xmin: those
  // transactions have all ended, and since positions follow xids, so have the transactions of
  // every smaller position. The plan is pinned to an ordered scan of the primary key that stops
  // after the page: without statistics (PGlite never runs autovacuum) the planner would rather
  // fetch and sort every row after the checkpoint, for every page. STABLE: the query and
  // pg_current_snapshot() see the caller's one snapshot.
  `create or replace function event_store_read_all(p_after bigint, p_max_count integer)
  returns setof ${EVENTS_TABLE}
  language sql stable
  set enable_sort = off
  set enable_bitmapscan = off
  as $fn$
    select * from ${EVENTS_TABLE}
    where global_position > p_after
      and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    order by global_position
    limit p_max_count
  $fn$`,

  // Writes a batch that passed its checks. First, under the ordering lock and before any write,
  // it takes the transaction's xid and reserves contiguous positions; so across appends xid order
  // equals position order. The lock is session-level so it can be released at once instead of at
  // commit; the exception block releases it on any error, cancellation included. Rows whose id is
  // already stored are skipped: the caller compares the count it gets back.
  `create or replace function event_store_write_batch(
    p_stream_id text, p_first_revision bigint, p_events jsonb, p_notify boolean)
  returns table (appended_count bigint, first_position bigint)
  language plpgsql volatile
  set plan_cache_mode = force_custom_plan
  as $fn$
  declare
    v_event_count bigint := jsonb_array_length(p_events);
    v_first_position bigint;
    v_appended_count bigint;
  begin
    if pg_current_xact_id_if_assigned() is not null then
      raise exception 'event store: an append must be the first write of its transaction'
        using hint = 'its xid must be taken under the ordering lock; see docs/event-store.md';
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

    insert into ${STREAMS_TABLE} (stream_id, revision)
    values (p_stream_id, p_first_revision + v_event_count - 1)
    on conflict (stream_id) do update set revision = excluded.revision
      where ${STREAMS_TABLE}.revision = p_first_revision - 1;
    if not found then
      raise exception 'event store: stream % is not at revision %', p_stream_id, p_first_revision - 1
        using errcode = 'serialization_failure';
    end if;

    -- NOTIFY serialises the commits of every notifying transaction on the server (a global lock
    -- held through commit), so the store's own appends leave it out and notify after commit,
    -- coalesced (see wake-ups.ts); appends in a caller's transaction, or with the store's option
    -- notify: 'in_transaction', notify here.
    if p_notify then
      perform pg_notify('${NOTIFICATION_CHANNEL}', '');
    end if;
    return query select v_appended_count, v_first_position;
  end
  $fn$`,

  // One append in one statement (one round trip, its own transaction unless the caller has one).
  // It serialises appends to the stream with a transaction-level advisory lock (which needs no
  // xid), then reads the stream's state. It writes only when the rules certainly allow it: for
  // 'append', no id of the batch stored anywhere and the expected revision met; for 'append_new',
  // the ids not stored yet (first occurrence in the batch), on contiguous revisions. Otherwise it
  // writes nothing and returns the state, from which the caller's rules (append-rules.ts) derive
  // the error or the idempotent result. A volatile function: each statement in it takes a fresh
  // snapshot, so the reads after the lock see what the previous holder committed. Its plans are
  // made afresh on each call: PL/pgSQL would otherwise settle, per connection, on a generic plan
  // made while the table was small (a sequential scan for the id lookup), and keep it as it grows.
  `create or replace function event_store_append(
    p_stream_id text, p_event_ids uuid[], p_events jsonb,
    p_mode text, p_expected_kind text, p_expected_revision bigint, p_notify boolean)
  returns table (written boolean, current_revision bigint, existing jsonb,
                 first_revision bigint, first_position bigint, appended_count bigint)
  language plpgsql volatile
  set plan_cache_mode = force_custom_plan
  as $fn$
  declare
    v_current bigint;
    v_existing jsonb;
    v_existing_ids uuid[];
    v_to_write jsonb;
    v_first_revision bigint;
    v_expectation_met boolean;
    v_written record;
  begin
    perform pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext(p_stream_id));
    select s.revision into v_current from ${STREAMS_TABLE} s where s.stream_id = p_stream_id;
    -- One statement, so the list returned and the list filtered on below are the same.
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', e.event_id::text, 'streamId', e.stream_id, 'type', e.type,
             'revision', e.stream_revision::text, 'position', e.global_position::text)), '[]'::jsonb),
           coalesce(array_agg(e.event_id), '{}')
      into v_existing, v_existing_ids
      from ${EVENTS_TABLE} e where e.event_id = any(p_event_ids);

    if p_mode = 'append' then
      v_expectation_met := case p_expected_kind
          when 'any' then true
          when 'no_stream' then v_current is null
          when 'exists' then v_current is not null
          when 'revision' then v_current is not distinct from p_expected_revision
          else false
        end;
      if jsonb_array_length(v_existing) > 0 or not v_expectation_met then
        return query select false, v_current, v_existing, null::bigint, null::bigint, 0::bigint;
        return;
      end if;
      v_to_write := p_events;
    elsif p_mode = 'append_new' then
      select jsonb_agg(fresh.event order by fresh.ordinality) into v_to_write
      from (
        select distinct on (batch.event ->> 'id') batch.event, batch.ordinality
        from jsonb_array_elements(p_events) with ordinality as batch(event, ordinality)
        where not (batch.event ->> 'id')::uuid = any(v_existing_ids)
        order by batch.event ->> 'id', batch.ordinality
      ) fresh;
      if v_to_write is null then
        return query select false, v_current, v_existing, null::bigint, null::bigint, 0::bigint;
        return;
      end if;
    else
      raise exception 'event store: unknown append mode %', p_mode;
    end if;

    v_first_revision := coalesce(v_current + 1, 0);
    select * into v_written from event_store_write_batch(p_stream_id, v_first_revision, v_to_write, p_notify);
    -- Fewer rows than planned: another stream's append committed one of these ids after the read
    -- above. Revisions must stay contiguous, so roll back; the caller retries and sees that id.
    if v_written.appended_count <> jsonb_array_length(v_to_write) then
      raise exception 'event store: an event id was taken meanwhile' using errcode = 'serialization_failure';
    end if;
    return query select true, v_current, v_existing, v_first_revision, v_written.first_position,
      v_written.appended_count;
  end
  $fn$`,
];
