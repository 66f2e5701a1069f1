import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { RunFactory } from '#database/factories/run_factory'
import { AuditEventFactory } from '#database/factories/audit_event_factory'

/** Rejects with the Postgres error code of the constraint that refused the row. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  throw new Error('the database accepted what it should refuse')
}

test.group('Database rules', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a bad enum value is refused by a CHECK constraint', async ({ assert }) => {
    const project = await ProjectFactory.create()
    assert.equal(
      await refusal(db.from('projects').where('id', project.id).update({ state: 'deleted' })),
      '23514'
    )
    assert.equal(
      await refusal(
        WorkItemFactory.merge({ projectId: project.id, status: 'done' as any }).create()
      ),
      '23514'
    )
    assert.equal(
      await refusal(
        db.table('users').insert({ email: 'a@b.c', full_name: 'A', password: 'x', role: 'owner' })
      ),
      '23514'
    )
  })

  test('a second running run for one work item is refused', async ({ assert }) => {
    const item = await WorkItemFactory.with('project').create()
    const agent = await AgentFactory.create()
    await RunFactory.merge({
      workItemId: item.id,
      projectId: item.projectId,
      agentId: agent.id,
    }).create()

    assert.equal(
      await refusal(
        RunFactory.merge({
          workItemId: item.id,
          projectId: item.projectId,
          agentId: agent.id,
          attempt: 2,
        }).create()
      ),
      '23505'
    )
    // Finished runs do not count: a retry may run while history stays.
    await db.from('runs').where('work_item_id', item.id).update({ status: 'failed' })
    await RunFactory.merge({
      workItemId: item.id,
      projectId: item.projectId,
      agentId: agent.id,
      attempt: 2,
    }).create()
  })

  test('a dangling foreign key is refused', async ({ assert }) => {
    assert.equal(await refusal(WorkItemFactory.merge({ projectId: 987654 }).create()), '23503')
  })

  test('duplicate agent keys, project slugs and emails (any case) are refused', async ({
    assert,
  }) => {
    await AgentFactory.merge({ key: 'claude-coder' }).create()
    assert.equal(await refusal(AgentFactory.merge({ key: 'claude-coder' }).create()), '23505')

    await ProjectFactory.merge({ slug: 'api' }).create()
    assert.equal(await refusal(ProjectFactory.merge({ slug: 'api' }).create()), '23505')

    await db.table('users').insert({ email: 'Ada@Example.com', full_name: 'Ada', password: 'x' })
    assert.equal(
      await refusal(
        db.table('users').insert({ email: 'ada@example.com', full_name: 'Ada', password: 'x' })
      ),
      '23505'
    )
  })

  test('max_concurrency below 1 and a self-dependency are refused', async ({ assert }) => {
    assert.equal(await refusal(AgentFactory.merge({ maxConcurrency: 0 }).create()), '23514')
    const item = await WorkItemFactory.with('project').create()
    assert.equal(
      await refusal(
        db.table('work_item_dependencies').insert({ work_item_id: item.id, depends_on_id: item.id })
      ),
      '23514'
    )
  })

  test('audit events cannot be changed or deleted, and outlive their project', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const event = await AuditEventFactory.merge({ projectId: project.id }).create()

    assert.equal(
      await refusal(db.from('audit_events').where('id', event.id).update({ action: 'x' })),
      '23514'
    )
    assert.equal(await refusal(db.from('audit_events').where('id', event.id).delete()), '23514')

    await project.delete()
    const kept = await db.from('audit_events').where('id', event.id).firstOrFail()
    assert.isNull(kept.project_id)
    assert.equal(kept.action, event.action)
  })

  test('an agent with runs cannot be deleted (its history stays)', async ({ assert }) => {
    const item = await WorkItemFactory.with('project').create()
    const agent = await AgentFactory.create()
    await RunFactory.merge({
      workItemId: item.id,
      projectId: item.projectId,
      agentId: agent.id,
    }).create()
    // restrict_violation (23001) on Postgres 18, foreign_key_violation (23503) on older servers
    assert.oneOf(await refusal(agent.delete()), ['23001', '23503'])
  })

  test('the claim query is served by the partial claim index', async ({ assert }) => {
    const project = await ProjectFactory.create()
    await db.table('work_items').multiInsert(
      Array.from({ length: 3000 }, (_, i) => ({
        project_id: project.id,
        title: `item ${i}`,
        status: i % 10 === 0 ? 'pending' : 'completed',
        priority: i % 7,
      }))
    )
    await db.rawQuery('analyze work_items')
    const { rows } = await db.rawQuery(`
      explain select id from work_items
      where status = 'pending' and run_after <= now()
      order by priority desc, run_after, id
      limit 1 for update skip locked`)
    const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n')
    assert.include(plan, 'work_items_claim_order')
    assert.notInclude(plan, 'Seq Scan')
  })
})
