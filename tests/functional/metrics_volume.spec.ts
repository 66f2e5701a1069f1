import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { emptyWorld } from '#tests/support/test_database'
import { planOf, queriesOf } from '#tests/support/captured_queries'

/** The tables that grow without bound: a scrape may not scan them. */
const BIG_TABLES = ['work_items', 'runs']
const SCRAPES = 5
/** The queued jobs' task: no worker knows it, so they stay queued until the test removes them. */
const PROBE_TASK = 'metrics_volume_probe'

/**
 * 1,000,000 work items in 20 projects (88% completed, 5% pending of which a fifth not yet due,
 * 2% in progress, 1% verifying, 2% failed, 1% cancelled, 1% blocked), 100,000 runs and 2,000
 * queued jobs, made by Postgres itself (generate_series), then vacuumed and analysed as
 * autovacuum would.
 */
async function seedVolume() {
  await db.rawQuery(`
    insert into projects (name, slug, repo_full_name, state)
    select 'Project ' || g, 'project-' || g, 'acme/project-' || g, 'active' from generate_series(1, 20) g;
    insert into agents (key, name, max_concurrency)
    select 'agent-' || g, 'Agent ' || g, 4 from generate_series(1, 20) g;
    insert into work_items (project_id, work_type, title, payload, status, priority, attempts, source,
                            created_at, run_after)
    select 1 + (g / 100) % 20, 'code', 'Work item ' || g, '{}',
           case when g % 100 < 88 then 'completed' when g % 100 < 93 then 'pending'
                when g % 100 < 95 then 'in_progress' when g % 100 = 95 then 'verifying'
                when g % 100 < 98 then 'failed' when g % 100 = 98 then 'cancelled'
                else 'blocked' end,
           g % 100, 1, 'api', now() - make_interval(secs => 1000000 - g),
           case when g % 100 = 92 then now() + interval '1 hour'
                else now() - make_interval(secs => 1000000 - g) end
      from generate_series(1, 1000000) g;
    insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at, lease_expires_at,
                      finished_at, cost_usd, gate_results)
    select g * 10, 1 + (g / 10) % 20, 1 + g % 20, 1, 'succeeded',
           now() - interval '1 day', now() - interval '1 day', now() - interval '23 hours', 0.1, '[]'
      from generate_series(1, 100000) g;
  `)
  await db.rawQuery(`
    select graphile_worker.add_job('${PROBE_TASK}', '{}'::json, run_at => now() + interval '1 hour')
      from generate_series(1, 2000)`)
  await db.rawQuery('vacuum analyze work_items')
  await db.rawQuery('vacuum analyze runs')
  await db.rawQuery('analyze')
}

async function removeProbeJobs() {
  await db.rawQuery(
    `select graphile_worker.complete_jobs(array_agg(id)) from graphile_worker.jobs
      where task_identifier = ?`,
    [PROBE_TASK]
  )
}

test.group('GET /metrics with 1,000,000 work items', (group) => {
  group.setup(async () => {
    await emptyWorld()
    await removeProbeJobs()
    const started = Date.now()
    await seedVolume()
    console.log(`  seeded 1,000,000 work items in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    env.set('METRICS_TOKEN', 'metrics-secret')
    return async () => {
      env.set('METRICS_TOKEN', '')
      await removeProbeJobs()
      // The next test file starts from an empty world, not from a million rows.
      await emptyWorld()
      await db.rawQuery('analyze')
    }
  })

  test('a scrape runs a fixed number of index-backed queries', async ({ client, assert }) => {
    const scrape = async () => {
      const response = await client.get('/metrics').bearerToken('metrics-secret')
      assert.equal(response.status(), 200)
      return response.text()
    }
    const queries = await queriesOf(scrape)
    assert.isAbove(queries.length, 0)
    // No session for a scraper: the three gauge queries and nothing else.
    assert.lengthOf(queries, 3, queries.map((query) => query.sql).join('\n'))

    console.log(`\n  One scrape runs ${queries.length} queries; their plans at 1,000,000 items:`)
    for (const query of queries) {
      // Whether an index can serve it at all: the planner may still prefer a parallel seq scan
      // for a count over every row (Postgres 18 does for the count by status), as cheap here.
      const plan = await db.transaction(async (trx) => {
        await trx.rawQuery('set local enable_seqscan = off')
        return planOf(query, '', trx)
      })
      for (const table of BIG_TABLES) {
        assert.notMatch(
          plan,
          new RegExp(`Seq Scan on ${table}\\b`),
          `a scrape scans ${table}:\n${query.sql}\n${plan}`
        )
      }
      console.log(`\n  ${query.sql.replace(/\s+/g, ' ').trim()}`)
      const measured = await planOf(query, '(analyze, buffers, costs off)')
      console.log(measured.replace(/^/gm, '    '))
    }

    const durations: number[] = []
    let body = ''
    for (let round = 0; round < SCRAPES; round++) {
      const started = performance.now()
      body = await scrape()
      durations.push(performance.now() - started)
    }
    durations.sort((a, b) => a - b)
    console.log(
      `\n  Scrape at 1,000,000 items: median ${durations[Math.floor(SCRAPES / 2)].toFixed(1)} ms, ` +
        `max ${durations.at(-1)!.toFixed(1)} ms over ${SCRAPES} scrapes`
    )
    // The numbers are the seeded ones, read through the indexes.
    assert.include(body, 'gatehouse_work_items{status="completed"} 880000')
    assert.include(body, 'gatehouse_work_items{status="pending"} 50000')
    assert.include(body, 'gatehouse_claimable_items{project="project-1"} 2000')
    assert.include(body, `gatehouse_job_queue_depth{task="${PROBE_TASK}"} 2000`)
  })
})
