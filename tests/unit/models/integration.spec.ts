import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import Integration from '#models/integration'
import { ProjectFactory } from '#database/factories/project_factory'
import { UserFactory } from '#database/factories/user_factory'

const SECRET = 'ghp_secret_value_1234567890'

/** A GitHub token a maintainer connected to a new project. */
async function connected(name: string, ip: string | null = null) {
  const maintainer = await UserFactory.create()
  const project = await ProjectFactory.create()
  const integration = await Integration.connect(
    project,
    { kind: 'github', name, secret: SECRET },
    maintainer,
    ip
  )
  return { integration, maintainer }
}

test.group('Integration', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('connect stores the secret sealed and audits the connection without it', async ({
    assert,
  }) => {
    const { integration } = await connected('GITHUB_TOKEN_ACME', '10.0.0.7')

    const stored = await Integration.findOrFail(integration.id)
    assert.notInclude(stored.value, SECRET)
    assert.equal(stored.revealSecret(), SECRET)
    assert.notProperty(stored.serialize(), 'value')
    const [event] = await AuditEvent.query().where('action', 'integration.created')
    assert.deepEqual(event.details, { kind: 'github', name: 'GITHUB_TOKEN_ACME' })
    assert.notInclude(JSON.stringify(event.serialize()), SECRET)
  })

  test('a rename keeps the secret (sealed again for its new name); deactivating twice audits once', async ({
    assert,
  }) => {
    const { integration, maintainer } = await connected('OLD_NAME')

    await integration.reconfigure(
      { kind: 'github', name: 'NEW_NAME', secret: null },
      maintainer,
      null
    )
    const renamed = await Integration.findOrFail(integration.id)
    assert.equal(renamed.name, 'NEW_NAME')
    assert.equal(renamed.revealSecret(), SECRET)

    await renamed.deactivate(maintainer, null)
    await renamed.deactivate(maintainer, null)
    assert.equal(renamed.status, 'inactive')
    assert.lengthOf(await AuditEvent.query().where('action', 'integration.deactivated'), 1)
  })
})
