import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import { asUser, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'
import { planOf, queriesOf } from '#tests/support/captured_queries'

/** The tables that grow without bound: no list page may scan them. */
const BIG_TABLES = ['work_items', 'runs', 'run_logs', 'audit_events']
const LOADS_PER_PAGE = 7

/**
 * 100,000 work items in 5 projects (8 work types, mostly completed), 20,000 runs of 20 agents,
 * 1,000,000 log lines (200,000 for run 1, 1,000 each for runs 2–801), 100,000 audit events,
 * all made by Postgres itself (generate_series), then analysed as autovacuum would.
 */
async function seedVolume() {
  await db.rawQuery(`
    insert into projects (name, slug, repo_full_name, state)
    select 'Project ' || g, 'project-' || g, 'acme/project-' || g, 'active' from generate_series(1, 5) g;
    insert into agents (key, name, max_concurrency)
    select 'agent-' || g, 'Agent ' || g, 4 from generate_series(1, 20) g;
    insert into work_items (project_id, work_type, title, payload, status, priority, attempts, source, created_at)
    select 1 + g % 5,
           (array['code','docs','fix_ci','test','refactor','review','chore','infra'])[1 + g % 8],
           'Work item ' || g, jsonb_build_object('n', g),
           case when g % 10 < 8 then 'completed' when g % 10 = 8 then 'pending'
                when g % 20 = 9 then 'failed' else 'blocked' end,
           g % 100, 1, 'api', now() - make_interval(secs => 100000 - g)
      from generate_series(1, 100000) g;
    insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at, lease_expires_at,
                      finished_at, cost_usd, gate_results)
    select g, 1 + g % 5, 1 + g % 20, 1,
           case when g % 50 = 0 then 'running' when g % 7 = 0 then 'failed' else 'succeeded' end,
           now() - make_interval(secs => 20000 - g), now() + interval '10 minutes',
           case when g % 50 = 0 then null else now() - make_interval(secs => 19000 - g) end,
           (g % 300) / 100.0, '[]'
      from generate_series(1, 20000) g;
    insert into run_logs (run_id, seq, level, stream, message, logged_at)
    select case when g <= 200000 then 1 else 2 + (g - 200001) / 1000 end,
           case when g <= 200000 then g else 1 + (g - 200001) % 1000 end,
           (array['debug','info','info','warn','error'])[1 + g % 5], 'stdout',
           'log line ' || g, now()
      from generate_series(1, 1000000) g;
    update runs set last_log_seq = case when id = 1 then 200000 else 1000 end where id <= 801;
    insert into audit_events (occurred_at, actor_type, actor_id, action, subject_type, subject_id, project_id, details)
    select now() - make_interval(secs => 100000 - g),
           (array['system','agent','user'])[1 + g % 3], 1 + g % 20,
           (array['work_item.claimed','run.succeeded','work_item.completed','work_item.approved','run.failed'])[1 + g % 5],
           'work_item', 1 + g % 100000, 1 + g % 5, '{}'
      from generate_series(1, 100000) g;
  `)
  await db.rawQuery('analyze')
}

function median(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

test.group('List pages with 100,000 work items and 1,000,000 log lines', (group) => {
  let viewer: User
  const timings: { page: string; medianMs: number; queries: number }[] = []

  group.setup(async () => {
    await emptyWorld()
    const started = Date.now()
    await seedVolume()
    viewer = await userWithRole('maintainer')
    console.log(`  seeded the volume dataset in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return async () => {
      console.log('\n  Median server-side load of each page over', LOADS_PER_PAGE, 'loads (ms):')
      for (const { page, medianMs, queries } of timings) {
        console.log(
          `    ${medianMs.toFixed(1).padStart(7)}  ${String(queries).padStart(2)} queries  ${page}`
        )
      }
      // The next test file starts from an empty world, not from a million rows.
      await emptyWorld()
      await db.rawQuery('analyze')
    }
  })

  const pages = [
    '/work-items',
    '/work-items?project=2',
    '/work-items?status=pending',
    '/work-items?status=completed',
    '/work-items?work_type=docs',
    '/work-items?project=2&status=pending&work_type=docs',
    '/work-items?after=50000',
    '/work-items?before=50000',
    '/work-items/77777',
    '/runs',
    '/runs?project=3',
    '/runs?agent=7',
    '/runs?status=running',
    '/runs?project=3&agent=8&status=succeeded&after=10000',
    '/runs/1',
    '/runs/1/logs',
    '/runs/1/logs?after=150000',
    '/runs/1/logs?before=150000',
    '/runs/400/logs',
    '/audit',
    '/audit?project=4',
    '/audit?actor_type=agent',
    '/audit?action=work_item.approved',
    '/audit?subject_type=work_item&subject_id=500',
    '/audit?project=4&actor_type=user&action=run.failed&after=60000',
    '/agents',
    '/agents/3',
    '/inbox',
  ]

  for (const page of pages) {
    test(`${page} is index-backed on the big tables`, async ({ client, assert }) => {
      const load = async () => {
        const response = await asUser(client, viewer, 'get', page)
        assert.equal(response.status(), 200, `${page} answered ${response.status()}`)
        return response
      }
      const queries = await queriesOf(load)
      assert.isAbove(queries.length, 0)
      for (const query of queries) {
        const plan = await planOf(query)
        for (const table of BIG_TABLES) {
          assert.notMatch(
            plan,
            new RegExp(`Seq Scan on ${table}\\b`),
            `${page} scans ${table}:\n${query.sql}\n${plan}`
          )
        }
      }

      const durations: number[] = []
      for (let round = 0; round < LOADS_PER_PAGE; round++) {
        const request = asUser(client, viewer, 'get', page)
        const started = performance.now()
        const response = await request
        durations.push(performance.now() - started)
        assert.equal(response.status(), 200)
      }
      timings.push({ page, medianMs: median(durations), queries: queries.length })
    })
  }
})
