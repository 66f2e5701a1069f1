import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Policy, { POLICY_DEFAULTS } from '#models/policy'
import { ProjectFactory } from '#database/factories/project_factory'

test.group('Policy', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test("a project's own values override the defaults; unknown keys are ignored", async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'max_attempts', value: 5 })

    const policies = await Policy.forProject(project.id)

    assert.equal(policies.max_attempts, 5)
    assert.equal(policies.lease_seconds, POLICY_DEFAULTS.lease_seconds)
    assert.deepEqual(Policy.withDefaults({ nonsense: 1 }), { ...POLICY_DEFAULTS })
  })

  test('replacing makes the rows exactly the values given; left-out keys fall back', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await db.transaction((trx) =>
      Policy.replaceForProject(trx, project.id, { max_attempts: 5, lease_seconds: 120 })
    )
    await db.transaction((trx) => Policy.replaceForProject(trx, project.id, { max_attempts: 2 }))

    assert.deepEqual(await Policy.ownValues(project.id), { max_attempts: 2 })
    const policies = await Policy.forProject(project.id)
    assert.equal(policies.lease_seconds, POLICY_DEFAULTS.lease_seconds)
  })
})
