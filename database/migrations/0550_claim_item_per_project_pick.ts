import { BaseSchema } from '@adonisjs/lucid/schema'
import FirstClaimFunction from './0411_create_claim_function.js'

/**
 * `claim_item` again (0411 is the first version), with two changes (docs/claiming.md):
 * - a claim narrowed to one project (a slug, or an agent scoped to one project) walks that
 *   project's part of the claim order, on a new partial index, instead of the whole index;
 * - it says whether the item has earlier runs, notes or questions (`earlier`), so the claim
 *   answer reads them only when there is something to read;
 * - it writes the claim's `work_item.claimed` audit event itself (ClaimService did, in a
 *   statement of its own).
 * Also drops `audit_events_by_id`, a second btree on the primary key (a btree reads both ways):
 * one index write less per audit event.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
create index work_items_claim_order_by_project on work_items (project_id, priority desc, run_after, id)
  where status = 'pending';
drop index if exists audit_events_by_id;
drop function claim_item(integer, text[], text, jsonb);
-- The claim (spec §3) in one call, its audit event included: docs/claiming.md explains the
-- order of its locks and why its limits are exact. ClaimService calls it. Outcomes: claimed, none, agent_at_limit, system_at_limit, agents_disabled,
-- agent_disabled; running and at_most describe the limit reached; earlier says whether the
-- claimed item has earlier runs, notes or questions.
create function claim_item(
  p_agent_id integer,
  p_work_types text[],        -- requested work types; null: whatever the agent accepts
  p_project_slug text,        -- narrow to one project; null: every project
  p_policy_defaults jsonb,    -- POLICY_DEFAULTS, under the project's own policies
  out outcome text,
  out running integer,
  out at_most integer,
  out item jsonb,
  out run jsonb,
  out project jsonb,
  out own_policies jsonb,
  out earlier boolean
)
  language plpgsql
  -- The pick must walk the claim-order index, look each candidate's project up by primary key
  -- and stop at the first eligible item. The gate predicates make the planner guess that almost
  -- no row passes; it then prefers reading a project's every item and sorting them (73 ms
  -- instead of 0.07 ms with 3,000 items), or scanning all projects per candidate. Every
  -- statement here is an index lookup, so these settings only rule out those plans.
  set enable_sort = off
  set enable_seqscan = off
  set enable_material = off
  as $$
declare
  me record;
  cap integer;
  counted record;
  accepted text[];
  types text[];
  only_project integer;
  one_project integer;
  this_month date := usage_month(now());
  passed_over integer[] := '{}';
  candidate record;
  wip integer;
  lease_seconds integer;
begin
  -- §3.2 the agent's row lock serialises its claims; the settings are read in the same statement.
  select a.enabled, a.max_concurrency, a.capabilities, a.project_ids,
         (select value from settings where key = 'agents_enabled') as agents_enabled,         -- §3.1 kill switch
         (select value from settings where key = 'max_parallel_runs') as max_parallel_runs    -- §3.1 global cap
    into me
    from agents a
   where a.id = p_agent_id
     for no key update of a;
  if not found then
    outcome := 'agent_disabled';
    return;
  end if;
  if me.agents_enabled = 'false'::jsonb then
    outcome := 'agents_disabled';
    return;
  end if;
  if not me.enabled then
    outcome := 'agent_disabled';
    return;
  end if;

  cap := case when jsonb_typeof(me.max_parallel_runs) = 'number' then me.max_parallel_runs::text::integer end;
  if cap is not null then
    -- §3.1 the global cap's row lock serialises claims system-wide, only while a cap is set.
    perform 1 from settings where key = 'max_parallel_runs' for no key update;
  end if;
  -- Counted after the locks, in a statement of its own: its snapshot sees every claim that
  -- held them before us.
  select (select count(*)::integer from runs r where r.status = 'running' and r.agent_id = p_agent_id) as agent_running,
         case when cap is not null then (select count(*)::integer from runs r where r.status = 'running') end as all_running
    into counted;
  if cap is not null and counted.all_running >= cap then
    outcome := 'system_at_limit'; running := counted.all_running; at_most := cap;
    return;
  end if;
  if counted.agent_running >= me.max_concurrency then
    outcome := 'agent_at_limit'; running := counted.agent_running; at_most := me.max_concurrency;
    return;
  end if;

  -- §3.4 the agent's capabilities ∩ the requested work types; null: any.
  accepted := array(select jsonb_array_elements_text(coalesce(me.capabilities -> 'work_types', '[]')));
  if '*' = any(accepted) then
    types := p_work_types;
  elsif p_work_types is null then
    types := accepted;
  else
    types := array(select t from unnest(p_work_types) t where t = any(accepted));
  end if;
  outcome := 'none';
  if types = '{}' then
    return;
  end if;
  if p_project_slug is not null then
    select id into only_project from projects where slug = p_project_slug;
    if not found then
      return;
    end if;
  end if;
  if only_project is not null then
    if me.project_ids <> '{}' and not only_project = any(me.project_ids) then
      return;
    end if;
    one_project := only_project;
  elsif cardinality(me.project_ids) = 1 then
    one_project := me.project_ids[1];
  end if;

  loop
    -- The search runs down the claim-order index and takes the first item whose project's
    -- gates let it through, judged on the project's row and its maintained usage rows. Narrowed
    -- to one project (a slug, or an agent scoped to one), it runs down that project's part of
    -- the index instead: walking the whole index would skip every other project's items one by
    -- by one (about 100 ms behind 100,000 of them). The two statements differ only there;
    -- each gets its own cached plan.
    if one_project is null then
      select wi.id, wi.project_id, gate_limit(p.gates_config -> 'wip_limit') as wip_limit
        into candidate
        from work_items wi
        join projects p on p.id = wi.project_id
        left join project_wip pw on pw.project_id = wi.project_id
        left join project_usage pu on pu.project_id = wi.project_id and pu.month = this_month
       where wi.status = 'pending'                                         -- §3.3 pending (the partial index work_items_claim_order)
         and wi.run_after <= now()                                         -- §3.3 not before run_after (retry backoff)
         and p.state = 'active'                                            -- §3.5 the project is active
         and (only_project is null or wi.project_id = only_project)        -- §3.4 narrowed to one project
         and (me.project_ids = '{}' or wi.project_id = any(me.project_ids)) -- §3.4 the agent's project scope (empty: every project)
         and wi.project_id <> all(passed_over)                             -- found full under its lock in this claim
         and (gate_limit(p.gates_config -> 'wip_limit') is null            -- §4 wip_limit (re-checked under the lock below)
              or pw.wip < gate_limit(p.gates_config -> 'wip_limit'))
         and (gate_limit(p.gates_config -> 'monthly_budget_usd') is null   -- §4 monthly_budget_usd, this UTC month
              or coalesce(pu.spent_usd, 0) < gate_limit(p.gates_config -> 'monthly_budget_usd'))
         and (wi.approved_at is not null                                   -- §4 require_approval: only approved items
              or not gate_flag(p.gates_config -> 'require_approval'))
         and (wi.work_type = 'fix_ci'                                      -- §4 default_branch_green: only fix_ci while failing
              or not gate_flag(p.gates_config -> 'default_branch_green')
              or p.default_branch_status <> 'failing')
         and (types is null or wi.work_type = any(types))                  -- §3.4 agent capabilities ∩ requested work types
         and (wi.assigned_agent_id is null or wi.assigned_agent_id = p_agent_id)  -- §3.4 a pinned item only to its agent
         and (wi.affinity_agent_id is null or wi.affinity_until <= now()   -- §3.4 retry affinity: only its agent until it lapses
              or wi.affinity_agent_id = p_agent_id)
         and not exists (                                                  -- §3.3 every depends_on item is completed
               select 1 from work_item_dependencies d
                 join work_items dep on dep.id = d.depends_on_id
                where d.work_item_id = wi.id and dep.status <> 'completed')
       order by wi.priority desc, wi.run_after, wi.id                      -- §3 claim order, same as the index: no sort
       limit 1
         for update of wi skip locked;                                     -- §3 concurrent claimers take different items, never wait
    else
      select wi.id, wi.project_id, gate_limit(p.gates_config -> 'wip_limit') as wip_limit
        into candidate
        from work_items wi
        join projects p on p.id = wi.project_id
        left join project_wip pw on pw.project_id = wi.project_id
        left join project_usage pu on pu.project_id = wi.project_id and pu.month = this_month
       where wi.status = 'pending'                                         -- §3.3 pending (the partial index work_items_claim_order_by_project)
         and wi.run_after <= now()                                         -- §3.3 not before run_after (retry backoff)
         and p.state = 'active'                                            -- §3.5 the project is active
         and wi.project_id = one_project                                   -- §3.4 the one project narrowed to or in the agent's scope
         and wi.project_id <> all(passed_over)                             -- found full under its lock in this claim
         and (gate_limit(p.gates_config -> 'wip_limit') is null            -- §4 wip_limit (re-checked under the lock below)
              or pw.wip < gate_limit(p.gates_config -> 'wip_limit'))
         and (gate_limit(p.gates_config -> 'monthly_budget_usd') is null   -- §4 monthly_budget_usd, this UTC month
              or coalesce(pu.spent_usd, 0) < gate_limit(p.gates_config -> 'monthly_budget_usd'))
         and (wi.approved_at is not null                                   -- §4 require_approval: only approved items
              or not gate_flag(p.gates_config -> 'require_approval'))
         and (wi.work_type = 'fix_ci'                                      -- §4 default_branch_green: only fix_ci while failing
              or not gate_flag(p.gates_config -> 'default_branch_green')
              or p.default_branch_status <> 'failing')
         and (types is null or wi.work_type = any(types))                  -- §3.4 agent capabilities ∩ requested work types
         and (wi.assigned_agent_id is null or wi.assigned_agent_id = p_agent_id)  -- §3.4 a pinned item only to its agent
         and (wi.affinity_agent_id is null or wi.affinity_until <= now()   -- §3.4 retry affinity: only its agent until it lapses
              or wi.affinity_agent_id = p_agent_id)
         and not exists (                                                  -- §3.3 every depends_on item is completed
               select 1 from work_item_dependencies d
                 join work_items dep on dep.id = d.depends_on_id
                where d.work_item_id = wi.id and dep.status <> 'completed')
       order by wi.project_id, wi.priority desc, wi.run_after, wi.id       -- §3 claim order within the project, same as the index
       limit 1
         for update of wi skip locked;                                     -- §3 concurrent claimers take different items, never wait
    end if;
    if not found then
      return;
    end if;

    if candidate.wip_limit is null then
      exit;
    end if;
    -- §4 wip_limit, exact: the project's WIP row is locked, then read (FOR UPDATE reads the
    -- newest committed count). A full project is rolled back to before the item's lock, which
    -- also lets go of the WIP row, and the search goes on without it.
    begin
      select pw.wip into wip from project_wip pw where pw.project_id = candidate.project_id for update;
      if not found or wip >= candidate.wip_limit then
        raise exception using errcode = 'GHWIP';
      end if;
      exit;
    exception when sqlstate 'GHWIP' then
      passed_over := passed_over || candidate.project_id;
    end;
  end loop;

  -- Start it: the running run, then the item.
  select coalesce(jsonb_object_agg(pol.key, pol.value), '{}') into own_policies
    from policies pol where pol.project_id = candidate.project_id;
  lease_seconds := ((p_policy_defaults || own_policies) ->> 'lease_seconds')::integer;
  update work_items
     set status = 'in_progress', locked_by_agent_id = p_agent_id, locked_at = now(),
         attempts = attempts + 1, updated_at = now()
   where id = candidate.id
  returning to_jsonb(work_items.*) into item;
  insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at, lease_expires_at)
  values (candidate.id, candidate.project_id, p_agent_id, (item ->> 'attempts')::integer, 'running', now(),
          now() + make_interval(secs => lease_seconds))
  returning to_jsonb(runs.*) into run;
  select to_jsonb(p.*) into project from projects p where p.id = candidate.project_id;
  -- Whether the claim answer has feedback or a conversation to read (earlier runs, notes,
  -- questions): a first claim of a fresh item then costs no reads after commit.
  earlier := exists (select 1 from runs r where r.work_item_id = candidate.id and r.id < (run ->> 'id')::bigint)
          or exists (select 1 from work_item_notes n where n.work_item_id = candidate.id)
          or exists (select 1 from questions q where q.work_item_id = candidate.id);
  -- The claim's audit event, as AuditEvent.record wrote it from ClaimService (an agent claimed
  -- a work item): in this call, one round trip less per claim.
  insert into audit_events (actor_type, actor_id, action, subject_type, subject_id, project_id, details)
  values ('agent', p_agent_id, 'work_item.claimed', 'work_item', candidate.id, candidate.project_id,
          jsonb_build_object('run_id', (run ->> 'id')::bigint, 'attempt', (run ->> 'attempt')::integer));
  outcome := 'claimed';
end $$;
`)
  }

  async down() {
    this.schema.raw(`
drop function claim_item(integer, text[], text, jsonb);
drop index work_items_claim_order_by_project;
create index audit_events_by_id on audit_events (id desc);
`)
    // 0411's version, as it was.
    await FirstClaimFunction.prototype.up.call(this)
  }
}
