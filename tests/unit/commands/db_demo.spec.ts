import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { Secret } from '@adonisjs/core/helpers'
import Agent from '#models/agent'
import User from '#models/user'
import { WORK_ITEM_STATUSES } from '#models/work_item'
import { RUN_STATUSES } from '#models/run'
import DbDemo from '#commands/db_demo'
import { AgentFactory } from '#database/factories/agent_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { discardQueuedJobs } from '#tests/support/queued_jobs'
import { keepCommandOutput, runCommand } from '#tests/support/ace_commands'
import { emptyWorld } from '#tests/support/test_database'

test.group('db:demo', (group) => {
  // Starts from an empty database whatever ran before; truncated again afterwards.
  group.each.setup(() => emptyWorld())
  group.each.setup(() => testUtils.db().truncate())
  group.each.teardown(() => discardQueuedJobs())
  keepCommandOutput(group)

  test('fills an empty database: items and runs in every state, logs, costs, history, audit trail', async ({
    assert,
  }) => {
    const command = await runCommand(DbDemo, ['--json'])

    command.assertSucceeded()
    const summary = JSON.parse(command.logger.getLogs().at(-1)!.message)
    assert.sameMembers(Object.keys(summary.workItems), [...WORK_ITEM_STATUSES])
    assert.sameMembers(Object.keys(summary.runs), [...RUN_STATUSES])

    const projects = await db.from('projects').orderBy('slug').select('slug', 'state')
    assert.deepEqual(
      projects.map((p) => `${p.slug}:${p.state}`),
      ['docs:paused', 'orders-api:active', 'storefront:active']
    )
    const [policies] = await db.from('policies').count('* as n')
    assert.isAbove(Number(policies.n), 0)

    // Every run has its log, numbered from 1 without gaps; finished runs have costs.
    const runs = await db
      .from('runs')
      .select('id', 'status', 'last_log_seq', 'cost_usd', 'started_at', 'finished_at')
    for (const run of runs) {
      const logs = await db.from('run_logs').where('run_id', run.id).orderBy('seq').select('seq')
      const seqs = logs.map((l) => l.seq)
      assert.deepEqual(
        seqs,
        Array.from({ length: run.last_log_seq }, (_, i) => i + 1)
      )
      assert.isAbove(seqs.length, 5)
    }
    const totals = await db.from('runs').sum('cost_usd as usd')
    assert.isAbove(Number(totals[0].usd), 10)
    // History spreads over the last day, for the dashboard's runs-per-hour chart.
    const hours = new Set(
      runs
        .filter((run) => run.finished_at)
        .map((run) => Math.floor((Date.now() - run.finished_at.getTime()) / 3_600_000))
    )
    assert.isAtLeast(hours.size, 8)
    assert.isTrue(runs.every((run) => !run.finished_at || run.finished_at >= run.started_at))

    // Gates did their work: a review completed one item, the cost gate rejected one run.
    const gateResults = await db
      .from('runs')
      .whereNotNull('gate_status')
      .select('gate_status', 'gate_results')
    assert.includeMembers(
      gateResults.map((r) => r.gate_status),
      ['passed', 'failed', 'pending']
    )

    const distinctActions = await db.from('audit_events').distinct('action')
    const actions = new Set(distinctActions.map((row) => row.action))
    for (const action of [
      'agent.created',
      'agent.token_issued',
      'user.created',
      'project.created',
      'work_item.created',
      'work_item.approved',
      'work_item.claimed',
      'work_item.cancelled',
      'work_item.blocked',
      'run.succeeded',
      'run.failed',
      'run.released',
      'run.reviewed',
    ]) {
      assert.isTrue(actions.has(action), action)
    }

    // The printed secrets work.
    for (const user of summary.users) {
      const account = await User.verifyCredentials(user.email, user.password)
      assert.equal(account.role, user.role)
    }
    assert.lengthOf(summary.tokens, 4)
    for (const token of summary.tokens) {
      const verified = await Agent.accessTokens.verify(new Secret(token.value))
      const agent = await Agent.findOrFail(verified!.tokenableId)
      assert.equal(agent.key, token.key)
    }
    // No agent holds more running runs than it may.
    const overLimit = await db.rawQuery(
      `select a.key from agents a join runs r on r.agent_id = a.id and r.status = 'running'
        group by a.id having count(*) > a.max_concurrency`
    )
    assert.lengthOf(overLimit.rows, 0)
  })

  test('prints a summary table and the one-time secrets', async ({ assert }) => {
    const command = await runCommand(DbDemo)
    command.assertSucceeded()
    const output = command.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    assert.match(output, /maya@demo\.gatehouse\.local\|maintainer\|\S{16}/)
    assert.match(output, /claude-coder\|agent\|gha_/)
    command.assertLog(
      '[ green(success) ] Demo ready: 3 projects, 4 agents. Sign in with a user above.'
    )
  })

  test('refuses a database that is not empty, and changes nothing', async ({ assert }) => {
    await AgentFactory.create()
    const before = await databaseSnapshot()

    const command = await runCommand(DbDemo)

    command.assertFailed()
    assert.deepEqual(
      command.logger.getLogs().map((log) => log.message),
      [
        '[ red(error) ] the database is not empty (it has projects, agents, work items or runs); db:demo only fills an empty one',
      ]
    )
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('a database with only users (the first admin) counts as empty', async () => {
    await User.create({
      email: 'admin@gatehouse.local',
      fullName: 'Admin',
      password: 'x'.repeat(16),
      role: 'admin',
    })
    const command = await runCommand(DbDemo, ['--json'])
    command.assertSucceeded()
  })
})
