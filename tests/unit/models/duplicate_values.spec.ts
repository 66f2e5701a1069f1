import { test } from '@japa/runner'
import { errors as vineErrors } from '@vinejs/vine'
import Integration from '#models/integration'
import Project, { type ProjectSettings } from '#models/project'
import User from '#models/user'
import { userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

const settings = (slug: string): ProjectSettings => ({
  name: slug,
  slug,
  brief: '',
  repoFullName: `acme/${slug}`,
  repoDefaultBranch: 'main',
  githubTokenSecretName: null,
  webhookSecretName: null,
  e2ERequired: true,
  gatesConfig: {},
  policies: {},
})

/** The unique index, not the validator, refuses the second write (as when two requests race). */
test.group('Values the database refuses as duplicates', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('a taken slug, email or integration name becomes a field error', async ({ assert }) => {
    const admin = await userWithRole('admin', { email: 'ada@example.com' })
    const project = await Project.register(settings('taken'), 'draft', admin, null)
    await Integration.connect(project, { kind: 'github', name: 'TOKEN', secret: 's' }, admin, null)

    const attempts = [
      () => Project.register(settings('taken'), 'draft', admin, null),
      () =>
        User.register(
          { email: 'ada@example.com', fullName: 'Ada', role: 'viewer', password: 'x'.repeat(12) },
          admin,
          null
        ),
      () =>
        Integration.connect(project, { kind: 'github', name: 'TOKEN', secret: 's' }, admin, null),
    ]
    const fields = []
    for (const attempt of attempts) {
      try {
        await attempt()
        assert.fail('the duplicate was stored')
      } catch (error) {
        assert.instanceOf(error, vineErrors.E_VALIDATION_ERROR)
        fields.push((error as InstanceType<typeof vineErrors.E_VALIDATION_ERROR>).messages[0].field)
      }
    }
    assert.deepEqual(fields, ['slug', 'email', 'name'])
  })
})
