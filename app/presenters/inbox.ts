import db from '@adonisjs/lucid/services/db'

/** Rows per section: the inbox is a to-do list, not an archive. */
const LIMIT = 50
/** PR changes after acceptance stay in the inbox this long (they have no state to clear). */
const PR_CHANGE_DAYS = 7
/** A project shows up once its month's spend reaches this share of monthly_budget_usd. */
export const BUDGET_WARNING_SHARE = 0.8

/**
 * Open questions (questions_open: `where status = 'open'`).
 */
export const OPEN_QUESTIONS = `
select q.id, q.question, q.choices, q.created_at, q.work_item_id, wi.title, p.slug as project_slug,
       a.key as agent_key
  from questions q
  join work_items wi on wi.id = q.work_item_id
  join projects p on p.id = q.project_id
  left join agents a on a.id = q.agent_id
 where q.status = 'open'
   and wi.status = 'blocked'                -- a cancelled item's question waits for nobody
 order by q.id
 limit ${LIMIT}`

/** Succeeded runs whose human_review gate waits for a reviewer (runs_awaiting_review). */
export const AWAITING_REVIEW = `
select r.id, r.work_item_id, r.finished_at, r.pr_url, r.summary, wi.title, p.slug as project_slug,
       a.key as agent_key
  from runs r
  join projects p on p.id = r.project_id
  join work_items wi on wi.id = r.work_item_id
  join agents a on a.id = r.agent_id
 where r.gate_status = 'pending' and r.status = 'succeeded' and r.review_status is null
   and p.gates_config -> 'human_review' = 'true'::jsonb
   and wi.status = 'verifying'
 order by r.id desc
 limit ${LIMIT}`

/** Items that used up their attempts through gate rejections (work_items_needs_human), with their last verdict. */
export const NEEDS_HUMAN = `
select wi.id, wi.title, wi.attempts, wi.needs_human_at, p.slug as project_slug,
       last_run.id as run_id, last_run.gate_results
  from work_items wi
  join projects p on p.id = wi.project_id
  left join lateral (select r.id, r.gate_results from runs r
                      where r.work_item_id = wi.id order by r.id desc limit 1) last_run on true
 where wi.status = 'failed' and wi.needs_human_at is not null
 order by wi.needs_human_at desc
 limit ${LIMIT}`

/** Accepted runs whose pull request changed afterwards (the event issue 11 records; audit_events_action). */
export const PR_CHANGED = `
select e.id, e.occurred_at, e.subject_id as run_id, e.details, p.slug as project_slug
  from audit_events e
  left join projects p on p.id = e.project_id
 where e.action = 'run.pr_changed_after_acceptance'
   and e.occurred_at > now() - interval '${PR_CHANGE_DAYS} days'
 order by e.id desc
 limit ${LIMIT}`

/** Active projects whose runs this UTC month cost 80 % or more of monthly_budget_usd (the maintained project_usage row). */
export const BUDGETS = `
select p.id, p.slug, p.name, b.budget, s.spent
  from projects p
 cross join lateral (select (p.gates_config ->> 'monthly_budget_usd')::numeric as budget) b
 cross join lateral (select coalesce(
                        (select pu.spent_usd from project_usage pu
                          where pu.project_id = p.id and pu.month = usage_month(now())), 0) as spent) s
 where p.state = 'active' and jsonb_typeof(p.gates_config -> 'monthly_budget_usd') = 'number'
   and b.budget > 0 and s.spent >= b.budget * ${BUDGET_WARNING_SHARE}
 order by s.spent / b.budget desc`

/** What the navigation counts: rows a person can act on now (questions, reviews, items needing a human). */
export const WAITING_COUNT = `
select (select count(*) from questions q join work_items wi on wi.id = q.work_item_id
         where q.status = 'open' and wi.status = 'blocked')
     + (select count(*) from runs r join projects p on p.id = r.project_id
         where r.gate_status = 'pending' and r.status = 'succeeded' and r.review_status is null
           and p.gates_config -> 'human_review' = 'true'::jsonb)
     + (select count(*) from work_items where status = 'failed' and needs_human_at is not null)
       as waiting`

/**
 * The Inbox page (issue 12): everything waiting for a person, each row with its one action.
 * Each section is one query served by a partial index (docs/run-lifecycle.md has their plans).
 */
export default class Inbox {
  static async load() {
    const results = await Promise.all(
      [OPEN_QUESTIONS, AWAITING_REVIEW, NEEDS_HUMAN, PR_CHANGED, BUDGETS].map((sql) =>
        db.rawQuery(sql)
      )
    )
    const [questions, reviews, needsHuman, prChanged, budgets] = results.map(
      (result) => result.rows as Record<string, any>[]
    )
    return { questions, reviews, needsHuman, prChanged, budgets }
  }

  static async count(): Promise<number> {
    const result = await db.rawQuery(WAITING_COUNT)
    return Number(result.rows[0].waiting)
  }
}
