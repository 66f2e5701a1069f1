import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import Project, { type ProjectSettings } from '#models/project'
import { ProjectFactory } from '#database/factories/project_factory'
import { UserFactory } from '#database/factories/user_factory'

const settings: ProjectSettings = {
  name: 'Shop',
  slug: 'shop',
  brief: 'The web shop',
  repoFullName: 'acme/shop',
  repoDefaultBranch: 'main',
  githubTokenSecretName: null,
  webhookSecretName: null,
  e2ERequired: false,
  gatesConfig: { required_checks: ['ci'] },
  policies: { max_attempts: 5 },
}

test.group('Project', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('register creates the project with its policies, audited with the maintainer', async ({
    assert,
  }) => {
    const maintainer = await UserFactory.create()

    const project = await Project.register(settings, 'draft', maintainer, '10.0.0.7')

    assert.equal(project.state, 'draft')
    assert.deepEqual(project.gatesConfig, { required_checks: ['ci'] })
    const policies = await Policy.forProject(project.id)
    assert.equal(policies.max_attempts, 5)
    const [event] = await AuditEvent.query().where('action', 'project.created')
    assert.equal(event.actorId, maintainer.id)
    assert.containsSubset(event.details, { slug: 'shop', state: 'draft' })
  })

  test('a state change is audited from → to; the same state again records nothing', async ({
    assert,
  }) => {
    const maintainer = await UserFactory.create()
    const project = await ProjectFactory.apply('draft').create()

    await project.changeState('active', maintainer, null)
    await project.changeState('active', maintainer, null)

    await project.refresh()
    assert.equal(project.state, 'active')
    const events = await AuditEvent.query().where('action', 'project.state_changed')
    assert.lengthOf(events, 1)
    assert.deepEqual(events[0].details, { from: 'draft', to: 'active' })
  })

  test('idsOfSlugs answers the ids sorted, leaving out slugs that name no project', async ({
    assert,
  }) => {
    const first = await ProjectFactory.merge({ slug: 'zeta' }).create()
    const second = await ProjectFactory.merge({ slug: 'alpha' }).create()

    assert.deepEqual(await Project.idsOfSlugs(['alpha', 'nope', 'zeta']), [first.id, second.id])
    assert.deepEqual(await Project.idsOfSlugs([]), [])
  })

  test('an API key is listed with its scopes, never its secret, until revoked', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const maintainer = await UserFactory.create()

    const issued = await project.issueApiKey(maintainer, { name: 'ci', scopes: ['items:read'] })
    const keyId = Number(issued.identifier)
    const [summary] = await project.apiKeySummaries()
    assert.containsSubset(summary, { id: keyId, name: 'ci', scopes: ['items:read'] })
    assert.notInclude(JSON.stringify(summary), issued.value!.release())

    assert.isTrue(await project.revokeApiKey(maintainer, keyId))
    assert.isFalse(await project.revokeApiKey(maintainer, keyId))
    assert.lengthOf(await project.apiKeySummaries(), 0)
    assert.lengthOf(await AuditEvent.query().where('action', 'project.api_key_revoked'), 1)
  })
})
