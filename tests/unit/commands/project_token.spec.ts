import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import Project from '#models/project'
import ProjectToken from '#commands/project_token'
import { ProjectFactory } from '#database/factories/project_factory'

async function run(argv: string[]) {
  ace.ui.logger.flushLogs()
  const command = await ace.create(ProjectToken, argv)
  await command.exec()
  return command
}

test.group('project:token', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('issues a scoped key printed once, lists it, revokes it', async ({ assert }) => {
    const project = await ProjectFactory.merge({ slug: 'shop' }).create()

    const issued = await run(['shop', '--name=jira', '--scopes=items:read', '--json'])
    issued.assertSucceeded()
    const output = JSON.parse(issued.logger.getLogs()[0].message)
    assert.deepEqual(output.scopes, ['items:read'])
    const token = await Project.apiKeys.verify(new Secret(output.key))
    assert.equal(token?.tokenableId, project.id)
    assert.isTrue(token?.allows('items:read'))
    assert.isFalse(token?.allows('items:write'))

    const listed = await run(['shop', '--list', '--json'])
    const { keys } = JSON.parse(listed.logger.getLogs()[0].message)
    assert.deepEqual(
      keys.map((key: any) => [key.id, key.name, key.scopes]),
      [[output.key_id, 'jira', ['items:read']]]
    )

    const revoked = await run(['shop', `--revoke=${output.key_id}`])
    revoked.assertSucceeded()
    assert.isNull(await Project.apiKeys.verify(new Secret(output.key)))
  })

  test('an unknown project or scope fails and issues nothing', async ({ assert }) => {
    await ProjectFactory.merge({ slug: 'shop' }).create()
    const missing = await run(['nowhere'])
    missing.assertFailed()
    const badScope = await run(['shop', '--scopes=items:delete'])
    badScope.assertFailed()
    const project = await Project.findByOrFail('slug', 'shop')
    assert.lengthOf(await project.apiKeySummaries(), 0)
  })
})
