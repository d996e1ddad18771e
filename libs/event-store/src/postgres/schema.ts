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
 * `texts` gives other expressions for the jsonb columns' text forms (an append hashes each
 * distinct metadata object's text once, not once per event).
 */
function eventDigestSql(prefix: string, texts: { data?: string; metadata?: string } = {}): string {
  const [position, streamId, revision, eventId, type, data, metadata] = [
    'global_position', 'stream_id', 'stream_revision', 'event_id', 'type', 'data', 'metadata',
  ].map((column) => `${prefix}${column}`);
  const dataText = texts.data ?? `${data}::text`;
  const metadataText = texts.metadata ?? `${metadata}::text`;
  return `sha256(convert_to(concat_ws(E'\\n', ${position}, octet_length(${streamId}), ${streamId}, ${revision}, ${eventId},
    octet_length(${type}), ${type}, ${dataText}, ${metadataText}), 'UTF8'))`;
}

/**
 * An append's events as columns, the parameters every append function takes, in log order:
 * p_stream_ids each stream once; per event its id, its stream (a 1-based index into
 * p_stream_ids), its type (an index into p_types, each type once), its data (p_data, a jsonb
 * array) and its metadata (an index into p_metadata, a jsonb array of each metadata object once:
 * the events of one command share theirs). Far less to send and parse than a jsonb object per event.
 */
const EVENT_COLUMNS_SQL = `p_stream_ids text[], p_event_ids uuid[], p_event_streams integer[], p_types text[],
    p_event_types integer[], p_data jsonb, p_metadata jsonb, p_event_metadata integer[]`;
/** The same parameters, passed on. */
const EVENT_COLUMNS_ARGUMENTS = 'p_stream_ids, p_event_ids, p_event_streams, p_types, p_event_types, p_data, p_metadata, p_event_metadata';

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

/**
 * The statement of event_store_write_events that plans an append: for the events it writes
 * (`filter`), their positions (`position`), stream revisions, previous hashes and digests, as
 * arrays grouped by stream, each stream's events in log order (the layout event_store_chain
 * expects; the aggregates read the sorted subquery in its order). "input" is an event's place in
 * the caller's columns (1-based). The streams' heads are looked up once, each by its key, and
 * joined to the events afterwards. The lookup is a LATERAL subquery with a LIMIT, which the planner
 * cannot flatten into a join: it stays a nested loop probing the streams table once per stream,
 * and the function's enable_seqscan = off makes that probe the primary key's index even in a
 * generic plan made while the table was small. Measured against the SQL function planned at each
 * call that it replaces: 4 µs instead of 19 µs for one stream; about the same for 1,000 (the
 * index probes dominate).
 */
function writePlanSql(position: string, filter: string): string {
  return `with heads as materialized (
        select st.s, st.stream_id, h.revision, h.head_hash
        from unnest(p_stream_ids) with ordinality as st(stream_id, s)
        left join lateral (
          select k.revision, k.head_hash from ${STREAMS_TABLE} k where k.stream_id = st.stream_id limit 1
        ) h on true
      )
      select array_agg(r.input), array_agg(r.global_position), array_agg(r.stream_id), array_agg(r.stream_revision),
             array_agg(r.event_id), array_agg(r.type),
             array_agg(case when r.rank = 1 then coalesce(r.head_hash, ${ZERO_HASH}) end),
             array_agg(${eventDigestSql('r.', { data: 'r.data::text', metadata: 'v_metadata_texts[r.m]' })})
        into v_inputs, v_positions, v_streams, v_revisions, v_ids, v_types, v_previous, v_digests
      from (
        select e.*, h.stream_id, h.head_hash, coalesce(h.revision + 1, 0) + e.rank - 1 as stream_revision
        from (
          select f.*, row_number() over (partition by f.s order by f.input) as rank
          from (
            select x.input, x.id as event_id, x.s, p_types[x.t] as type, x.m, x.data, ${position} as global_position
            from rows from (unnest(p_event_ids), unnest(p_event_streams), unnest(p_event_types),
                            unnest(p_event_metadata), jsonb_array_elements(p_data))
              with ordinality as x(id, s, t, m, data, input)
            ${filter}
          ) f
        ) e
        join heads h on h.s = e.s
        order by e.s, e.input
      ) r;`;
}

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
  // The signatures that took the events as one jsonb of objects (replaced by EVENT_COLUMNS_SQL).
  `drop function if exists event_store_write_events(text, jsonb, uuid[], bigint, boolean)`,
  `drop function if exists event_store_append(text, uuid[], jsonb, text, text, bigint, boolean)`,
  `drop function if exists event_store_append_new_many(text[], uuid[], jsonb, boolean)`,
  `drop function if exists event_store_append_many(jsonb, uuid[], jsonb, boolean)`,

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

  // Replaced by the lookup written out in event_store_write_events (writePlanSql).
  `drop function if exists event_store_stream_heads(text[])`,

  // Writes events that passed their checks, given as columns (EVENT_COLUMNS_SQL) in log order,
  // each id once (the store's callers drop repeats before the call; a repeat would fail the insert),
  // less those whose id is in p_stored_ids: p_count events in all. The caller holds the lock of
  // every stream involved.
  // First, under the ordering lock and before any write, it takes the transaction's xid and
  // reserves contiguous positions; so across appends xid order equals position order. The lock
  // is session-level so it can be released at once instead of at commit; the exception block
  // releases it on any error, cancellation included. Each stream's events then take the next
  // revisions and chain their hashes to the stream's head. An id stored meanwhile by another
  // stream's append makes the insert fail (unique_violation), and a stream head moved meanwhile
  // raises serialization_failure: revisions must stay contiguous, so the caller rolls back and
  // retries. Rows go in in event-id order, so two appends that share ids wait for each other in
  // one direction only, never in a cycle.
  // Its statements read no table but the streams' heads, by key (writePlanSql), so their plans do
  // not depend on the tables' sizes, and it keeps them (generic plans, whatever its caller's
  // setting): planning them afresh on every call cost about a third of a 1-event append's CPU
  // (measured). enable_seqscan = off pins the heads lookup to the primary key's index in a plan
  // made while the table was small; no other statement here scans a table.
  `create or replace function event_store_write_events(
    ${EVENT_COLUMNS_SQL}, p_stored_ids uuid[], p_count bigint, p_notify boolean)
  returns table (appended_count bigint, first_position bigint)
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  set enable_seqscan = off
  as $fn$
  declare
    v_event_count bigint := p_count;
    v_first_position bigint;
    v_xid xid8;
    v_metadata jsonb[];
    v_metadata_texts text[];
    v_inputs bigint[];
    v_positions bigint[];
    v_streams text[];
    v_revisions bigint[];
    v_ids uuid[];
    v_types text[];
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

    -- Each distinct metadata object once: as jsonb to store, as text to hash.
    select array_agg(m.value order by m.n), array_agg(m.value::text order by m.n)
      into v_metadata, v_metadata_texts
      from jsonb_array_elements(p_metadata) with ordinality as m(value, n);

    -- Nothing of the call stored yet (the usual case): every event is written, each on the position
    -- of its place in the call. Otherwise the positions go, in order, to the events not stored.
    if cardinality(p_stored_ids) = 0 then
      ${writePlanSql('v_first_position + x.input - 1', '')}
    else
      ${writePlanSql('v_first_position + row_number() over (order by x.input) - 1', 'where not x.id = any(p_stored_ids)')}
    end if;
    v_hashes := event_store_chain(v_previous, v_digests);

    -- A plain insert: an id stored meanwhile fails it (unique_violation), which the caller retries.
    -- Data is read from p_data by index (a jsonb array's element is found without a scan).
    insert into ${EVENTS_TABLE}
      (global_position, transaction_id, stream_id, stream_revision, event_id, type, data, metadata, hash)
    select w.global_position, v_xid, w.stream_id, w.stream_revision, w.id, w.type,
           p_data -> (w.input::integer - 1), v_metadata[p_event_metadata[w.input]], w.hash
    from unnest(v_positions, v_streams, v_revisions, v_ids, v_types, v_inputs, v_hashes)
      as w(global_position, stream_id, stream_revision, id, type, input, hash)
    order by w.id;
    get diagnostics v_row_count = row_count;
    if v_row_count <> v_event_count then
      raise exception 'event store: % events written, % planned', v_row_count, v_event_count;
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
  // the ids not stored yet (the store sends each id once), on contiguous revisions. Otherwise it
  // writes nothing and returns the state, from which the caller's rules (append-rules.ts) derive
  // the error or the idempotent result. A volatile function: each statement in it takes a fresh
  // snapshot, so the reads after the lock see what the previous holder committed. Its plans are
  // generic, made once per connection (planning its statements afresh on every call cost about
  // 0.15 ms of a 100-event append's 1.45 ms, measured); enable_seqscan = off keeps its two reads
  // on the keys' indexes (the stream's by stream_id, the ids' by event_id) in a plan made while the
  // tables were small, which would otherwise scan them whole once they are large.
  // The events are columns (EVENT_COLUMNS_SQL) with p_stream_ids = {p_stream_id}.
  `create or replace function event_store_append(
    ${EVENT_COLUMNS_SQL},
    p_mode text, p_expected_kind text, p_expected_revision bigint, p_notify boolean)
  returns table (written boolean, current_revision bigint, existing jsonb,
                 first_revision bigint, first_position bigint, appended_count bigint)
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  set enable_seqscan = off
  as $fn$
  declare
    v_current bigint;
    v_existing jsonb;
    v_existing_ids uuid[];
    v_count bigint;
    v_expectation_met boolean;
    v_written record;
    p_stream_id text := p_stream_ids[1];
  begin
    if cardinality(p_stream_ids) <> 1 then
      raise exception 'event store: an append writes one stream, got %', cardinality(p_stream_ids);
    end if;
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
      v_count := cardinality(p_event_ids);
    elsif p_mode = 'append_new' then
      v_count := cardinality(p_event_ids) - cardinality(v_existing_ids);
      if v_count = 0 then
        return query select false, v_current, v_existing, null::bigint, null::bigint, 0::bigint;
        return;
      end if;
    else
      raise exception 'event store: unknown append mode %', p_mode;
    end if;

    select * into v_written from event_store_write_events(${EVENT_COLUMNS_ARGUMENTS}, v_existing_ids, v_count, p_notify);
    return query select true, v_current, v_existing, coalesce(v_current + 1, 0), v_written.first_position,
      v_written.appended_count;
  end
  $fn$`,

  // Replaced by arithmetic: the store sends each id once, and the stored ones are among them.
  `drop function if exists event_store_new_id_count(uuid[], uuid[])`,

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
  begin
    select array_agg(distinct hashtext(s)) into v_keys from unnest(p_stream_ids) as s;
    -- One statement takes them all, row by row in the subquery's order (a loop of one statement
    -- per lock cost more than the locks).
    if coalesce(cardinality(v_keys), 0) <= ${STREAM_LOCKS_PER_APPEND_MAX} then
      perform pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, o.k)
        from (select k from unnest(v_keys) as k order by 1) o;
    else
      perform pg_advisory_xact_lock(${WIDE_APPEND_LOCK_CLASS}, o.k)
        from (select distinct k & ${WIDE_APPEND_BUCKETS - 1} as k from unnest(v_keys) as k order by 1) o;
    end if;
  end
  $fn$`,

  // appendNew over several streams in one statement and one transaction. The streams' locks are
  // taken in the order of their keys (not of their names: the keys are hashes), so two calls over
  // overlapping streams queue on their first shared key instead of deadlocking. Then one id
  // lookup for the whole call, one position reservation and one insert (event_store_write_events).
  // Generic plans, the id lookup kept on its index, as in event_store_append.
  // The events are columns (EVENT_COLUMNS_SQL) in the caller's order; the log keeps that order.
  `create or replace function event_store_append_new_many(${EVENT_COLUMNS_SQL}, p_notify boolean)
  returns table (written boolean, existing_ids text[], first_position bigint, appended_count bigint)
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  set enable_seqscan = off
  as $fn$
  declare
    v_existing_ids uuid[];
    v_count bigint;
    v_written record;
  begin
    perform event_store_lock_streams(p_stream_ids);
    select coalesce(array_agg(e.event_id), '{}') into v_existing_ids
      from ${EVENTS_TABLE} e where e.event_id = any(p_event_ids);
    v_count := cardinality(p_event_ids) - cardinality(v_existing_ids);
    if v_count = 0 then
      return query select false, v_existing_ids::text[], null::bigint, 0::bigint;
      return;
    end if;
    select * into v_written from event_store_write_events(${EVENT_COLUMNS_ARGUMENTS}, v_existing_ids, v_count, p_notify);
    return query select true, v_existing_ids::text[], v_written.first_position, v_written.appended_count;
  end
  $fn$`,

  // append with an expected revision per stream, over several streams, in one statement and one
  // transaction: all or nothing. Locks as event_store_append_new_many (key order), then reads every
  // stream's revision and every id of the call already stored. It writes, through
  // event_store_write_events, only when no id is stored and every expectation holds; otherwise it
  // writes nothing and returns the state, from which the caller's rules (append-rules.ts) derive
  // per stream the conflict, the duplicate or the idempotent result.
  // p_expected = [{s, k (kind), r (revision or null)}], one per stream; the events as in append_new_many.
  `create or replace function event_store_append_many(p_expected jsonb, ${EVENT_COLUMNS_SQL}, p_notify boolean)
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
      from event_store_write_events(${EVENT_COLUMNS_ARGUMENTS}, '{}'::uuid[], cardinality(p_event_ids)::bigint, p_notify);
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
