import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The claim gates' facts as maintained state (docs/claiming.md): a WIP count per project with a
 * WIP limit and a month's spend per project, kept current by triggers in the transactions that
 * change items and runs, so a claim reads a row instead of aggregating history.
 * `node ace.js usage:verify` compares them with their source rows (project_usage_drift).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
-- The UTC month a run's cost counts in (spec §4 monthly_budget_usd: runs started this month, UTC).
create function usage_month(at timestamptz) returns date
  language sql immutable parallel safe
  as $$ select date_trunc('month', at at time zone 'UTC')::date $$;

-- A gates_config number used as a limit, as ClaimGates.evaluate reads it: a finite number >= 0, else none.
create function gate_limit(value jsonb) returns numeric
  language sql immutable parallel safe
  as $$ select case when jsonb_typeof(value) = 'number' and value::text::numeric >= 0 then value::text::numeric end $$;

-- A gates_config flag as ClaimGates.evaluate reads it (JavaScript truthiness of a JSON value).
create function gate_flag(value jsonb) returns boolean
  language sql immutable parallel safe
  as $$ select value is not null and value not in ('false'::jsonb, 'null'::jsonb, '0'::jsonb, '""'::jsonb) $$;

-- Items in progress or verifying, per project with a WIP limit (the row exists exactly while
-- gates_config.wip_limit is set). Its row lock is the WIP gate's lock: claims into the project
-- take it before counting, so two claims never both fill the last slot.
create table project_wip (
  project_id integer primary key references projects (id) on delete cascade,
  wip_limit numeric not null,
  wip integer not null default 0
);

-- Cost of runs started in a UTC month, per project (the monthly_budget_usd gate).
create table project_usage (
  project_id integer not null references projects (id) on delete cascade,
  month date not null,
  spent_usd numeric(14, 4) not null default 0,
  primary key (project_id, month)
);

-- Counting into the rows happens at commit (deferred), so a row is locked only for the
-- commit itself, not for the rest of the transaction that changed an item or a run.
create function work_items_count_wip() returns trigger
  language plpgsql as $$
declare
  was_wip boolean := tg_op <> 'INSERT' and old.status in ('in_progress', 'verifying');
  is_wip boolean := tg_op <> 'DELETE' and new.status in ('in_progress', 'verifying');
  freed record;
begin
  if was_wip and not (is_wip and old.project_id = new.project_id) then
    update project_wip set wip = wip - 1 where project_id = old.project_id
      returning wip, wip_limit into freed;
    -- The project had no free slot and now has one: waiting claimers may look again.
    if found and freed.wip < freed.wip_limit and freed.wip + 1 >= freed.wip_limit then
      perform pg_notify('gatehouse_claimable', old.project_id::text);
    end if;
  end if;
  if is_wip and not (was_wip and old.project_id = new.project_id) then
    update project_wip set wip = wip + 1 where project_id = new.project_id;
  end if;
  return null;
end $$;

create constraint trigger work_items_count_wip_insert after insert on work_items
  deferrable initially deferred for each row
  when (new.status in ('in_progress', 'verifying'))
  execute function work_items_count_wip();
create constraint trigger work_items_count_wip_update after update of status, project_id on work_items
  deferrable initially deferred for each row
  when ((old.status in ('in_progress', 'verifying')) is distinct from (new.status in ('in_progress', 'verifying'))
        or old.project_id <> new.project_id)
  execute function work_items_count_wip();
create constraint trigger work_items_count_wip_delete after delete on work_items
  deferrable initially deferred for each row
  when (old.status in ('in_progress', 'verifying'))
  execute function work_items_count_wip();

create function runs_count_spend() returns trigger
  language plpgsql as $$
begin
  if tg_op <> 'INSERT' and old.cost_usd <> 0 then
    update project_usage set spent_usd = spent_usd - old.cost_usd
     where project_id = old.project_id and month = usage_month(old.started_at);
  end if;
  if tg_op <> 'DELETE' and new.cost_usd <> 0 then
    insert into project_usage as u (project_id, month, spent_usd)
    values (new.project_id, usage_month(new.started_at), new.cost_usd)
    on conflict (project_id, month) do update set spent_usd = u.spent_usd + excluded.spent_usd;
  end if;
  return null;
end $$;

create constraint trigger runs_count_spend_insert after insert on runs
  deferrable initially deferred for each row
  when (new.cost_usd <> 0)
  execute function runs_count_spend();
create constraint trigger runs_count_spend_update after update of cost_usd, started_at, project_id on runs
  deferrable initially deferred for each row
  when (old.cost_usd <> new.cost_usd
        or ((old.started_at <> new.started_at or old.project_id <> new.project_id) and (old.cost_usd <> 0 or new.cost_usd <> 0)))
  execute function runs_count_spend();
create constraint trigger runs_count_spend_delete after delete on runs
  deferrable initially deferred for each row
  when (old.cost_usd <> 0)
  execute function runs_count_spend();

-- A project's WIP row follows its wip_limit. Setting a limit counts the project's items while
-- no item can change (SHARE on work_items waits for transitions in flight and holds new ones
-- until this commits), so the count starts exact; the deferred triggers keep it so.
create function projects_follow_wip_limit() returns trigger
  language plpgsql as $$
declare
  new_limit numeric := gate_limit(new.gates_config -> 'wip_limit');
begin
  if new_limit is null then
    delete from project_wip where project_id = new.id;
    return null;
  end if;
  update project_wip set wip_limit = new_limit where project_id = new.id;
  if found then
    return null;
  end if;
  if tg_op = 'UPDATE' then
    lock table work_items in share mode;
  end if;
  insert into project_wip (project_id, wip_limit, wip)
  values (new.id, new_limit, (select count(*) from work_items
                               where project_id = new.id and status in ('in_progress', 'verifying')));
  return null;
end $$;

create trigger projects_follow_wip_limit after insert or update of gates_config on projects
  for each row execute function projects_follow_wip_limit();

-- Recounts both from their source rows. Returns the rows that differ (before the repair, when
-- repairing); with repair it writes the recounted values, under locks that hold every writer
-- of items and runs still for the moment, so the recount is exact.
create function project_usage_drift(repair boolean default false)
  returns table (project_id integer, fact text, month date, stored numeric, actual numeric)
  language plpgsql as $$
#variable_conflict use_column
begin
  if repair then
    lock table work_items, runs in share mode;
  end if;
  return query
    with wip_actual as (
      select p.id as project_id, gate_limit(p.gates_config -> 'wip_limit') as wip_limit,
             (select count(*) from work_items w
               where w.project_id = p.id and w.status in ('in_progress', 'verifying'))::numeric as wip
        from projects p
       where gate_limit(p.gates_config -> 'wip_limit') is not null
    ),
    spend_actual as (
      select r.project_id, usage_month(r.started_at) as month, sum(r.cost_usd) as spent
        from runs r where r.cost_usd <> 0
       group by 1, 2
    )
    select coalesce(a.project_id, s.project_id), 'wip', null::date, s.wip::numeric, a.wip
      from wip_actual a full join project_wip s on s.project_id = a.project_id
     where s.wip is distinct from a.wip or s.wip_limit is distinct from a.wip_limit
    union all
    select coalesce(a.project_id, s.project_id), 'spent_usd', coalesce(a.month, s.month),
           s.spent_usd, coalesce(a.spent, 0)
      from spend_actual a full join project_usage s on s.project_id = a.project_id and s.month = a.month
     where coalesce(s.spent_usd, 0) <> coalesce(a.spent, 0)
     order by 1, 2, 3;
  if repair then
    delete from project_wip w where not exists (select 1 from projects p where p.id = w.project_id
                                                   and gate_limit(p.gates_config -> 'wip_limit') is not null);
    insert into project_wip as w (project_id, wip_limit, wip)
    select p.id, gate_limit(p.gates_config -> 'wip_limit'),
           (select count(*) from work_items i where i.project_id = p.id and i.status in ('in_progress', 'verifying'))
      from projects p where gate_limit(p.gates_config -> 'wip_limit') is not null
    on conflict on constraint project_wip_pkey do update set wip_limit = excluded.wip_limit, wip = excluded.wip;
    delete from project_usage;
    insert into project_usage (project_id, month, spent_usd)
    select r.project_id, usage_month(r.started_at), sum(r.cost_usd) from runs r where r.cost_usd <> 0 group by 1, 2;
  end if;
end $$;

-- Counted once from the rows already there; the triggers keep it from here on.
select count(*) from project_usage_drift(true);
`)
  }

  async down() {
    this.schema.raw(`
drop function if exists project_usage_drift(boolean);
drop trigger if exists projects_follow_wip_limit on projects;
drop function if exists projects_follow_wip_limit();
drop trigger if exists runs_count_spend_insert on runs;
drop trigger if exists runs_count_spend_update on runs;
drop trigger if exists runs_count_spend_delete on runs;
drop function if exists runs_count_spend();
drop trigger if exists work_items_count_wip_insert on work_items;
drop trigger if exists work_items_count_wip_update on work_items;
drop trigger if exists work_items_count_wip_delete on work_items;
drop function if exists work_items_count_wip();
drop table if exists project_usage;
drop table if exists project_wip;
drop function if exists gate_flag(jsonb);
drop function if exists gate_limit(jsonb);
drop function if exists usage_month(timestamptz);
`)
  }
}
