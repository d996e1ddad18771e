/**
 * The Postgres event store's schema. The same statements run on server Postgres (15+) and on
 * PGlite (Postgres 18 in WebAssembly). `docs/event-store.md` explains the ordering argument.
 */

export const EVENTS_TABLE = 'event_store_events';
export const STREAMS_TABLE = 'event_store_streams';
export const POSITION_SEQUENCE = 'event_store_global_position';
export const NOTIFICATION_CHANNEL = 'accrual_events';
export const SEALS_TABLE = 'event_store_seals';

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
/**
 * A multi-stream append over more streams than STREAM_LOCKS_PER_APPEND_MAX locks buckets of
 * streams instead, (WIDE_APPEND_LOCK_CLASS, hashtext(stream id) & (WIDE_APPEND_BUCKETS - 1)):
 * advisory locks live in Postgres's shared lock table (max_locks_per_transaction × connections,
 * 6,400 slots by default), and a few concurrent usage appends over thousands of customers each
 * would exhaust it ("out of shared memory"). Locks only spare retries: two appends that lock
 * different keys for one stream still cannot both write a revision (the unique index refuses
 * one, and the store retries it).
 */
export const WIDE_APPEND_LOCK_CLASS = 1_094_931_033;
export const STREAM_LOCKS_PER_APPEND_MAX = 32;
export const WIDE_APPEND_BUCKETS = 64;
const MIGRATION_LOCK_CLASS = 1_094_931_031;
/** Transaction-level lock that serialises seals, each of which chains to the one before. */
const SEAL_LOCK_CLASS = 1_094_931_032;

/** Largest number of events one seal covers: its digest input (32 bytes an event) stays within 32 MB. */
export const SEAL_EVENTS_MAX = 1_000_000;

/** The chain's start: the "previous hash" of a stream's first event and of the first seal. */
const ZERO_HASH = `decode('${'00'.repeat(32)}', 'hex')`;

/**
 * SQL for the SHA-256 of one event's canonical encoding (docs/event-store.md, "Tamper evidence"),
 * over the given column expressions. The two variable-length text fields carry their byte length,
 * and jsonb's text form is deterministic and never holds a raw newline, so the encoding is
 * unambiguous. Written out in each statement that needs it rather than called as a SQL function:
 * measured, the inlined function cost three times the CPU of the same expression written out.
 */
function eventDigestSql(prefix: string): string {
  const [position, streamId, revision, eventId, type, data, metadata] = [
    'global_position', 'stream_id', 'stream_revision', 'event_id', 'type', 'data', 'metadata',
  ].map((column) => `${prefix}${column}`);
  return `sha256(convert_to(concat_ws(E'\\n', ${position}, octet_length(${streamId}), ${streamId}, ${revision}, ${eventId},
    octet_length(${type}), ${type}, ${data}::text, ${metadata}::text), 'UTF8'))`;
}

/**
 * Every event, each with the reason it does not verify (null when it does): its hash against its
 * content and its stream predecessor's hash (found by a hash join on (stream, revision - 1)),
 * revisions contiguous, positions rising along the stream, nothing past the stream's head.
 */
function chainCheckSql(where: string): string {
  return `select e.global_position,
      case
        when e.stream_revision > 0 and p.global_position is null
          then format('stream %s: revision %s has no predecessor', e.stream_id, e.stream_revision)
        when e.global_position <= p.global_position
          then format('stream %s: revision %s is before its predecessor in the log', e.stream_id, e.stream_revision)
        when e.hash is distinct from sha256(coalesce(p.hash, ${ZERO_HASH}) || ${eventDigestSql('e.')})
          then format('stream %s: hash mismatch at revision %s', e.stream_id, e.stream_revision)
        when s.stream_id is null or e.stream_revision > s.revision
          then format('stream %s: revision %s is past the stream head', e.stream_id, e.stream_revision)
      end as reason
    from ${EVENTS_TABLE} e
    left join ${EVENTS_TABLE} p on p.stream_id = e.stream_id and p.stream_revision = e.stream_revision - 1
    left join ${STREAMS_TABLE} s on s.stream_id = e.stream_id
    where ${where}`;
}

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
    hash bytea not null,
    unique (stream_id, stream_revision)
  )`,

  // head_hash and head_position: the stream's last event, so an append chains to it without
  // reading it, and verification notices a deleted last event.
  `create table if not exists ${STREAMS_TABLE} (
    stream_id text primary key,
    revision bigint not null check (revision >= 0),
    head_hash bytea not null,
    head_position bigint not null
  )`,

  // A seal binds every event hash in (previous_position, seal_position] to the previous seal.
  // sealed_at is for people only; it is not part of the digest.
  `create table if not exists ${SEALS_TABLE} (
    seal_position bigint primary key,
    previous_position bigint not null unique,
    event_count bigint not null,
    digest bytea not null,
    sealed_at timestamptz not null default now()
  )`,

  // The canonical digest of one event, for people and tools checking rows by hand (the store's
  // own statements write the same expression out: see eventDigestSql).
  `create or replace function event_store_event_digest(
    global_position bigint, stream_id text, stream_revision bigint, event_id uuid, type text,
    data jsonb, metadata jsonb)
  returns bytea
  language sql stable
  as $fn$
    select ${eventDigestSql('event_store_event_digest.')}
  $fn$`,

  // Chains digests: hash[i] = sha256(previous[i] || digest[i]), where a null previous[i] means
  // "the hash just computed" (the same stream's run continues). Sequential by nature, so a loop;
  // PL/pgSQL keeps array arguments expanded, so each subscript is O(1).
  `create or replace function event_store_chain(p_previous bytea[], p_digests bytea[])
  returns bytea[]
  language plpgsql immutable
  as $fn$
  declare
    v_hashes bytea[] := '{}';
    v_hash bytea;
  begin
    for i in 1 .. coalesce(array_length(p_digests, 1), 0) loop
      v_hash := sha256(coalesce(p_previous[i], v_hash) || p_digests[i]);
      v_hashes[i] := v_hash;
    end loop;
    return v_hashes;
  end
  $fn$`,

  // Databases made before the hash chain: add the columns and back-fill every stream's chain and
  // head in one go (inside migrate()'s transaction, so all or nothing). A no-op afterwards.
  `do $do$
  begin
    if exists (select 1 from information_schema.columns
               where table_schema = current_schema() and table_name = '${EVENTS_TABLE}'
                 and column_name = 'hash') then
      return;
    end if;
    alter table ${EVENTS_TABLE} add column hash bytea;
    alter table ${STREAMS_TABLE} add column head_hash bytea, add column head_position bigint;
    update ${EVENTS_TABLE} e set hash = chained.hash
    from (
      select unnest(streams.positions) as global_position,
             unnest(event_store_chain(streams.previous, streams.digests)) as hash
      from (
        select array_agg(d.global_position order by d.stream_revision) as positions,
               array_agg(case when d.stream_revision = 0 then ${ZERO_HASH} end order by d.stream_revision) as previous,
               array_agg(d.digest order by d.stream_revision) as digests
        from (select global_position, stream_id, stream_revision,
                     ${eventDigestSql('')} as digest
              from ${EVENTS_TABLE}) d
        group by d.stream_id
      ) streams
    ) chained
    where e.global_position = chained.global_position;
    update ${STREAMS_TABLE} s set head_hash = e.hash, head_position = e.global_position
    from ${EVENTS_TABLE} e where e.stream_id = s.stream_id and e.stream_revision = s.revision;
    alter table ${EVENTS_TABLE} alter column hash set not null;
    alter table ${STREAMS_TABLE} alter column head_hash set not null, alter column head_position set not null;
  end
  $do$`,

  // Replaced by event_store_write_events (which also hashes and serves several streams).
  `drop function if exists event_store_write_batch(text, bigint, jsonb, boolean)`,

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

  // Writes events that passed their checks: p_events = [{s?, id, type, data, metadata}] in log
  // order, s defaulting to p_stream_id, less those whose id is in p_stored_ids and repeats of an id
  // (first occurrence kept): p_count events in all. Filtering here, while parsing p_events, spares
  // rebuilding a jsonb of the events to write (measured: jsonb_agg of 1,000 events took 70-110 ms
  // on the loaded test machine). The caller holds the lock of every stream involved.
  // First, under the ordering lock and before any write, it takes the transaction's xid and
  // reserves contiguous positions; so across appends xid order equals position order. The lock
  // is session-level so it can be released at once instead of at commit; the exception block
  // releases it on any error, cancellation included. Each stream's events then take the next
  // revisions and chain their hashes to the stream's head. An id stored meanwhile by another
  // stream's append (on conflict) makes it raise serialization_failure: revisions must stay
  // contiguous, so the caller rolls back and retries. Rows go in in event-id order, so two
  // appends that share ids wait for each other in one direction only, never in a cycle.
  `create or replace function event_store_write_events(
    p_stream_id text, p_events jsonb, p_stored_ids uuid[], p_count bigint, p_notify boolean)
  returns table (appended_count bigint, first_position bigint)
  language plpgsql volatile
  set plan_cache_mode = force_custom_plan
  as $fn$
  declare
    v_event_count bigint := p_count;
    v_first_position bigint;
    v_xid xid8;
    v_positions bigint[];
    v_streams text[];
    v_revisions bigint[];
    v_ids uuid[];
    v_types text[];
    v_data jsonb[];
    v_metadata jsonb[];
    v_previous bytea[];
    v_digests bytea[];
    v_hashes bytea[];
    v_stream_count bigint;
    v_row_count bigint;
  begin
    if pg_current_xact_id_if_assigned() is not null then
      raise exception 'event store: an append must be the first write of its transaction'
        using hint = 'its xid must be taken under the ordering lock; see docs/event-store.md';
    end if;
    begin
      perform pg_advisory_lock(${ORDERING_LOCK_KEY});
      v_xid := pg_current_xact_id();
      v_first_position := nextval('${POSITION_SEQUENCE}');
      if v_event_count > 1 then
        perform setval('${POSITION_SEQUENCE}', v_first_position + v_event_count - 1);
      end if;
      perform pg_advisory_unlock(${ORDERING_LOCK_KEY});
    exception when others or query_canceled then
      perform pg_advisory_unlock(${ORDERING_LOCK_KEY});
      raise;
    end;

    -- Grouped by stream, each stream's events in log order: the layout event_store_chain expects.
    -- The aggregates read the sorted subquery in its order.
    with batch as (
      select kept.stream_id, kept.event_id, kept.type, kept.data, kept.metadata,
             v_first_position + row_number() over (order by kept.n) - 1 as global_position
      from (
        select coalesce(e.s, p_stream_id) as stream_id, e.id as event_id, e.type, e.data, e.metadata, e.n,
               row_number() over (partition by e.id order by e.n) as occurrence
        from rows from (jsonb_to_recordset(p_events) as (s text, id uuid, type text, data jsonb, metadata jsonb))
          with ordinality as e(s, id, type, data, metadata, n)
      ) kept
      where kept.occurrence = 1 and not kept.event_id = any(p_stored_ids)
    ), heads as materialized (
      -- Looked up once, by the key; joined to the batch afterwards. (Inlined, the planner, which
      -- cannot estimate the batch's size, probed the key once per event with the whole list.)
      select h.stream_id, h.revision, h.head_hash from ${STREAMS_TABLE} h
      where h.stream_id = any(array(select distinct b.stream_id from batch b))
    )
    select array_agg(r.global_position), array_agg(r.stream_id), array_agg(r.stream_revision),
           array_agg(r.event_id), array_agg(r.type), array_agg(r.data), array_agg(r.metadata),
           array_agg(case when r.rank = 1 then coalesce(r.head_hash, ${ZERO_HASH}) end),
           array_agg(${eventDigestSql('r.')})
      into v_positions, v_streams, v_revisions, v_ids, v_types, v_data, v_metadata, v_previous, v_digests
    from (
      select ranked.*, coalesce(ranked.head_revision + 1, 0) + ranked.rank - 1 as stream_revision
      from (
        select b.*, h.head_hash, h.revision as head_revision,
               row_number() over (partition by b.stream_id order by b.global_position) as rank
        from batch b left join heads h on h.stream_id = b.stream_id
      ) ranked
      order by ranked.stream_id, ranked.global_position
    ) r;
    v_hashes := event_store_chain(v_previous, v_digests);

    insert into ${EVENTS_TABLE}
      (global_position, transaction_id, stream_id, stream_revision, event_id, type, data, metadata, hash)
    select w.global_position, v_xid, w.stream_id, w.stream_revision, w.id, w.type, w.data, w.metadata, w.hash
    from unnest(v_positions, v_streams, v_revisions, v_ids, v_types, v_data, v_metadata, v_hashes)
      as w(global_position, stream_id, stream_revision, id, type, data, metadata, hash)
    order by w.id
    on conflict (event_id) do nothing;
    get diagnostics v_row_count = row_count;
    if v_row_count <> v_event_count then
      raise exception 'event store: an event id was taken meanwhile' using errcode = 'serialization_failure';
    end if;

    -- Each stream's new head: its last event here. Heads only move forward, under the stream's lock.
    insert into ${STREAMS_TABLE} (stream_id, revision, head_hash, head_position)
    select distinct on (w.stream_id) w.stream_id, w.stream_revision, w.hash, w.global_position
    from unnest(v_streams, v_revisions, v_hashes, v_positions) as w(stream_id, stream_revision, hash, global_position)
    order by w.stream_id, w.stream_revision desc
    on conflict (stream_id) do update
      set revision = excluded.revision, head_hash = excluded.head_hash, head_position = excluded.head_position
      where ${STREAMS_TABLE}.revision < excluded.revision;
    get diagnostics v_row_count = row_count;
    select count(distinct w) into v_stream_count from unnest(v_streams) as w;
    if v_row_count <> v_stream_count then
      raise exception 'event store: a stream head moved during an append' using errcode = 'serialization_failure';
    end if;

    -- NOTIFY serialises the commits of every notifying transaction on the server (a global lock
    -- held through commit), so the store's own appends leave it out and notify after commit,
    -- coalesced (see wake-ups.ts); appends in a caller's transaction, or with the store's option
    -- notify: 'in_transaction', notify here.
    if p_notify then
      perform pg_notify('${NOTIFICATION_CHANNEL}', '');
    end if;
    return query select v_event_count, v_first_position;
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
    v_count bigint;
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
      v_count := jsonb_array_length(p_events);
    elsif p_mode = 'append_new' then
      v_count := event_store_new_id_count(p_event_ids, v_existing_ids);
      if v_count = 0 then
        return query select false, v_current, v_existing, null::bigint, null::bigint, 0::bigint;
        return;
      end if;
    else
      raise exception 'event store: unknown append mode %', p_mode;
    end if;

    select * into v_written from event_store_write_events(p_stream_id, p_events, v_existing_ids, v_count, p_notify);
    return query select true, v_current, v_existing, coalesce(v_current + 1, 0), v_written.first_position,
      v_written.appended_count;
  end
  $fn$`,

  // How many events an appendNew writes: distinct ids of the batch not stored yet.
  `create or replace function event_store_new_id_count(p_event_ids uuid[], p_stored_ids uuid[])
  returns bigint
  language sql immutable
  as $fn$
    select count(distinct id) from unnest(p_event_ids) as id where not id = any(p_stored_ids)
  $fn$`,

  // The locks of a multi-stream append, taken in ascending key order (so two appends over
  // overlapping streams queue on their first shared key instead of deadlocking): one per stream
  // up to STREAM_LOCKS_PER_APPEND_MAX streams, else one per bucket of streams (see
  // WIDE_APPEND_LOCK_CLASS). Transaction-level, so they need no xid.
  `create or replace function event_store_lock_streams(p_stream_ids text[])
  returns void
  language plpgsql volatile
  as $fn$
  declare
    v_keys integer[];
    v_key integer;
  begin
    select array_agg(distinct hashtext(s)) into v_keys from unnest(p_stream_ids) as s;
    if coalesce(cardinality(v_keys), 0) <= ${STREAM_LOCKS_PER_APPEND_MAX} then
      for v_key in select k from unnest(v_keys) as k order by 1 loop
        perform pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, v_key);
      end loop;
    else
      for v_key in select distinct k & ${WIDE_APPEND_BUCKETS - 1} from unnest(v_keys) as k order by 1 loop
        perform pg_advisory_xact_lock(${WIDE_APPEND_LOCK_CLASS}, v_key);
      end loop;
    end if;
  end
  $fn$`,

  // appendNew over several streams in one statement and one transaction. The streams' locks are
  // taken in the order of their keys (not of their names: the keys are hashes), so two calls over
  // overlapping streams queue on their first shared key instead of deadlocking. Then one id
  // lookup for the whole call, one position reservation and one insert (event_store_write_events).
  // p_events = [{s, id, type, data, metadata}] in the caller's order; the log keeps that order.
  `create or replace function event_store_append_new_many(
    p_stream_ids text[], p_event_ids uuid[], p_events jsonb, p_notify boolean)
  returns table (written boolean, existing_ids text[], first_position bigint, appended_count bigint)
  language plpgsql volatile
  set plan_cache_mode = force_custom_plan
  as $fn$
  declare
    v_existing_ids uuid[];
    v_count bigint;
    v_written record;
  begin
    perform event_store_lock_streams(p_stream_ids);
    select coalesce(array_agg(e.event_id), '{}') into v_existing_ids
      from ${EVENTS_TABLE} e where e.event_id = any(p_event_ids);
    v_count := event_store_new_id_count(p_event_ids, v_existing_ids);
    if v_count = 0 then
      return query select false, v_existing_ids::text[], null::bigint, 0::bigint;
      return;
    end if;
    select * into v_written from event_store_write_events(null, p_events, v_existing_ids, v_count, p_notify);
    return query select true, v_existing_ids::text[], v_written.first_position, v_written.appended_count;
  end
  $fn$`,

  // append with an expected revision per stream, over several streams, in one statement and one
  // transaction: all or nothing. Locks as event_store_append_new_many (key order), then reads every
  // stream's revision and every id of the call already stored. It writes, through
  // event_store_write_events, only when no id is stored and every expectation holds; otherwise it
  // writes nothing and returns the state, from which the caller's rules (append-rules.ts) derive
  // per stream the conflict, the duplicate or the idempotent result.
  // p_expected = [{s, k (kind), r (revision or null)}], one per stream; p_events as in append_new_many.
  `create or replace function event_store_append_many(
    p_expected jsonb, p_event_ids uuid[], p_events jsonb, p_notify boolean)
  returns table (written boolean, currents jsonb, existing jsonb, first_position bigint, appended_count bigint)
  language plpgsql volatile
  set plan_cache_mode = force_custom_plan
  as $fn$
  declare
    v_currents jsonb;
    v_met boolean;
    v_existing jsonb;
    v_written record;
  begin
    perform event_store_lock_streams(array(select x.s from jsonb_to_recordset(p_expected) as x(s text)));
    select coalesce(jsonb_object_agg(x.s, h.revision::text) filter (where h.revision is not null), '{}'::jsonb),
           coalesce(bool_and(case x.k
             when 'any' then true
             when 'no_stream' then h.revision is null
             when 'exists' then h.revision is not null
             when 'revision' then h.revision is not distinct from x.r
             else false end), true)
      into v_currents, v_met
      from jsonb_to_recordset(p_expected) as x(s text, k text, r bigint)
      left join ${STREAMS_TABLE} h on h.stream_id = x.s;
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', e.event_id::text, 'streamId', e.stream_id, 'type', e.type,
             'revision', e.stream_revision::text, 'position', e.global_position::text)), '[]'::jsonb)
      into v_existing
      from ${EVENTS_TABLE} e where e.event_id = any(p_event_ids);
    if jsonb_array_length(v_existing) > 0 or not v_met then
      return query select false, v_currents, v_existing, null::bigint, 0::bigint;
      return;
    end if;
    select * into v_written
      from event_store_write_events(null, p_events, '{}'::uuid[], jsonb_array_length(p_events)::bigint, p_notify);
    return query select true, v_currents, v_existing, v_written.first_position, v_written.appended_count;
  end
  $fn$`,

  // Seals the log up to the readable head (the prefix no late commit can still change, the same
  // rule as event_store_read_all), at most p_max_events events: digest = sha256(previous seal's
  // digest || "previous\\nposition\\ncount\\n" || every event hash in (previous, position] in log
  // order). Seals are serialised by a lock and each chains to the one before. Returns no row when
  // there is nothing new to seal.
  `create or replace function event_store_seal(p_max_events integer)
  returns table (seal_position bigint, event_count bigint, digest text)
  language plpgsql volatile
  as $fn$
  declare
    v_previous_position bigint;
    v_previous_digest bytea;
    v_position bigint;
    v_count bigint;
    v_hashes bytea;
    v_digest bytea;
  begin
    perform pg_advisory_xact_lock(${SEAL_LOCK_CLASS}, 0);
    select s.seal_position, s.digest into v_previous_position, v_previous_digest
      from ${SEALS_TABLE} s order by s.seal_position desc limit 1;
    v_previous_position := coalesce(v_previous_position, 0);
    select max(r.global_position), count(*), string_agg(r.hash, ''::bytea order by r.global_position)
      into v_position, v_count, v_hashes
      from event_store_read_all(v_previous_position, p_max_events) r;
    if v_count = 0 then
      return;
    end if;
    v_digest := sha256(coalesce(v_previous_digest, ${ZERO_HASH})
      || convert_to(concat_ws(E'\\n', v_previous_position, v_position, v_count) || E'\\n', 'UTF8')
      || v_hashes);
    insert into ${SEALS_TABLE} (seal_position, previous_position, event_count, digest)
      values (v_position, v_previous_position, v_count, v_digest);
    return query select v_position, v_count, encode(v_digest, 'hex');
  end
  $fn$`,

];

/**
 * Verification (docs/event-store.md, "Verify"), run by `verifyIntegrity` in one read-only
 * transaction. Plain statements rather than a PL/pgSQL function: there, SELECT INTO runs with a
 * row limit, which rules out parallel query, and this first pass is the one worth sharing out.
 * First: how many events, and the first position whose chain check fails.
 */
export const VERIFY_CHAIN_STATEMENT = `select count(*)::text as checked,
    (min(checked_events.global_position) filter (where checked_events.reason is not null))::text as bad_position
  from (${chainCheckSql('true')}) checked_events`;

/** Why the event at $1 fails its chain check. */
export const VERIFY_CHAIN_REASON_STATEMENT = `select checked_events.reason
  from (${chainCheckSql('e.global_position = $1')}) checked_events`;

/** The first stream head that names no stored event (a deleted last event is found at its own position). */
export const VERIFY_HEADS_STATEMENT = `select s.head_position::text as bad_position,
    format('stream %s: head (revision %s) does not match a stored event', s.stream_id, s.revision) as reason
  from ${STREAMS_TABLE} s
  left join ${EVENTS_TABLE} e on e.stream_id = s.stream_id and e.stream_revision = s.revision
  where e.global_position is distinct from s.head_position or e.hash is distinct from s.head_hash
  order by s.head_position limit 1`;

/**
 * The first seal that does not hold (its digest, its link to the previous seal, or its count),
 * with the first position it should cover: after the previous seal that exists.
 */
export const VERIFY_SEALS_STATEMENT = `select s.seal_position::text as seal_position,
    least(s.previous_position, coalesce(s.previous_seal_position, 0))::text as covered_after
  from (
    select s.*, lag(s.digest) over o as previous_digest, lag(s.seal_position) over o as previous_seal_position
    from ${SEALS_TABLE} s window o as (order by s.seal_position)
  ) s
  cross join lateral (
    select count(*) as event_count, coalesce(string_agg(e.hash, ''::bytea order by e.global_position), ''::bytea) as hashes
    from ${EVENTS_TABLE} e
    where e.global_position > s.previous_position and e.global_position <= s.seal_position
  ) covered
  where s.previous_position <> coalesce(s.previous_seal_position, 0)
     or s.event_count <> covered.event_count
     or s.digest <> sha256(coalesce(s.previous_digest, ${ZERO_HASH})
          || convert_to(concat_ws(E'\\n', s.previous_position, s.seal_position, s.event_count) || E'\\n', 'UTF8')
          || covered.hashes)
  order by s.seal_position limit 1`;

/** Settings for the verifying transaction: the predecessor hash join fits in memory; JIT costs more than it saves. */
export const VERIFY_SETTINGS_STATEMENTS: readonly string[] = ["set local work_mem = '64MB'", 'set local jit = off'];
