import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * `claim_and_report`: `claim_item` and, for an item taken in from a GitHub issue in a project
 * that reports (policy `report_to_github`), the job that edits the comment, as
 * `GitHubReport.itemChanged` enqueues it. A claim is then one statement, committed on its
 * own: no BEGIN and COMMIT round trips around it (docs/claiming.md). The job is still
 * enqueued in the claim's transaction.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
create function claim_and_report(
  p_agent_id integer,
  p_work_types text[],
  p_project_slug text,
  p_policy_defaults jsonb,
  p_report_task text,          -- REPORT_ITEM_TASK
  p_report_max_attempts integer, -- REPORT_MAX_ATTEMPTS
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
  as $$
declare
  item_id bigint;
begin
  select c.outcome, c.running, c.at_most, c.item, c.run, c.project, c.own_policies, c.earlier
    into outcome, running, at_most, item, run, project, own_policies, earlier
    from claim_item(p_agent_id, p_work_types, p_project_slug, p_policy_defaults) c;
  if outcome <> 'claimed'
     or coalesce(item ->> 'external_ref', '') !~ '^github:issue:[0-9]+$'
     or ((p_policy_defaults || own_policies) -> 'report_to_github') is distinct from 'true'::jsonb then
    return;
  end if;
  item_id := (item ->> 'id')::bigint;
  -- One job per item, on a queue of its own (JobQueue.enqueue's options in GitHubReport). With
  -- a job key add_job can return null under contention (graphile-worker #580): add it again.
  if (graphile_worker.add_job(p_report_task, payload => json_build_object('workItemId', item_id),
        job_key => 'report_item:' || item_id, max_attempts => p_report_max_attempts,
        queue_name => 'github_comment:' || item_id)).id is null then
    perform graphile_worker.add_job(p_report_task, payload => json_build_object('workItemId', item_id),
      job_key => 'report_item:' || item_id, max_attempts => p_report_max_attempts,
      queue_name => 'github_comment:' || item_id);
  end if;
end $$;
`)
  }

  async down() {
    this.schema.raw(`drop function claim_and_report(integer, text[], text, jsonb, text, integer);`)
  }
}
