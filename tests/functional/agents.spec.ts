import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { claimedRun } from '#tests/support/claimed_run'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  htmlOf,
  userWithRole,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'
import { queriesOf } from '#tests/support/captured_queries'

const profile = (overrides: Record<string, unknown> = {}) => ({
  name: 'Builder',
  description: 'Builds things',
  work_types: 'code, fix_ci',
  tags: 'fast, cheap',
  model_name: 'claude-sonnet',
  model_version: '4.5',
  max_concurrency: '3',
  ...overrides,
})

let keys = 0
const freshKey = () => `builder-${Date.now().toString(36)}-${++keys}`

async function counts() {
  const { rows } = await db.rawQuery(
    `select (select count(*) from agents) as agents, (select count(*) from agent_access_tokens) as tokens,
            (select count(*) from audit_events) as events`
  )
  return rows[0]
}

test.group('Agent pages: who may do what', (group) => {
  group.each.setup(() => emptyWorld())

  test('every role reads the list and an agent’s page', async ({ client, assert }) => {
    const agent = await AgentFactory.create()
    await assertRoleGate(client, assert, { method: 'get', url: '/agents', minimumRole: 'viewer' })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/agents/${agent.id}`,
      minimumRole: 'viewer',
    })
  })

  test('only maintainers register, edit, enable, disable and issue or revoke tokens', async ({
    client,
    assert,
  }) => {
    const agent = await AgentFactory.create()
    await assertRoleGate(client, assert, {
      method: 'get',
      url: '/agents/new',
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: '/agents',
      form: () => profile({ key: freshKey() }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/agents/${agent.id}/edit`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: `/agents/${agent.id}`,
      form: () => profile(),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: `/agents/${agent.id}/enablement`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: `/agents/${agent.id}/enablement`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: `/agents/${agent.id}/tokens`,
      form: () => ({ name: 'ci' }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: async () => {
        const token = await Agent.accessTokens.create(agent)
        return `/agents/${agent.id}/tokens/${token.identifier}`
      },
      minimumRole: 'maintainer',
    })
  })

  test('viewers and reviewers see no management buttons', async ({ client, assert }) => {
    const agent = await AgentFactory.create()
    for (const role of ['viewer', 'reviewer'] as const) {
      const html = await htmlOf(client, await userWithRole(role), `/agents/${agent.id}`)
      assert.notInclude(html, `action="/agents/${agent.id}/tokens"`)
      assert.notInclude(html, `/agents/${agent.id}/enablement`)
      assert.notInclude(html, `href="/agents/${agent.id}/edit"`)
    }
    const html = await htmlOf(client, await userWithRole('maintainer'), `/agents/${agent.id}`)
    assert.include(html, `action="/agents/${agent.id}/tokens"`)
    assert.include(html, `action="/agents/${agent.id}/enablement?_method=DELETE"`)
  })
})

test.group('Registering and editing agents', (group) => {
  group.each.setup(() => emptyWorld())

  test('a maintainer registers an agent with its capabilities; audited with the IP', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')

    const response = await asUser(
      client,
      maintainer,
      'post',
      '/agents',
      profile({ key: 'Claude-Builder-1' })
    )

    const agent = await Agent.findByOrFail('key', 'claude-builder-1')
    response.assertStatus(302)
    assert.equal(response.header('location'), `/agents/${agent.id}`)
    assert.deepEqual(agent.capabilities, {
      work_types: ['code', 'fix_ci'],
      tags: ['fast', 'cheap'],
    })
    assert.deepEqual(
      [agent.name, agent.modelName, agent.modelVersion, agent.maxConcurrency, agent.enabled],
      ['Builder', 'claude-sonnet', '4.5', 3, true]
    )
    const event = await AuditEvent.findByOrFail('action', 'agent.created')
    assert.deepEqual(
      [event.actorId, event.ipAddress, event.subjectId],
      [maintainer.id, '127.0.0.1', agent.id]
    )
  })

  test("an agent's GitHub login is set in its form (its approvals never count); a malformed one is refused", async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    await asUser(
      client,
      maintainer,
      'post',
      '/agents',
      profile({ key: 'bot-1', github_login: 'gatehouse-bot[bot]' })
    )
    const agent = await Agent.findByOrFail('key', 'bot-1')
    assert.equal(agent.githubLogin, 'gatehouse-bot[bot]')

    const refused = await asUser(
      client,
      maintainer,
      'put',
      `/agents/${agent.id}`,
      profile({ github_login: 'not a login' })
    )
    refused.assertStatus(302)
    await agent.refresh()
    assert.equal(agent.githubLogin, 'gatehouse-bot[bot]')
    const page = await asUser(client, maintainer, 'get', `/agents/${agent.id}`)
    page.assertTextIncludes('gatehouse-bot[bot]')
  })

  test('invalid input is refused per field and nothing is written', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    const existing = await AgentFactory.create()
    const before = await counts()

    const response = await asUser(
      client,
      maintainer,
      'post',
      '/agents',
      profile({
        key: existing.key,
        name: '',
        work_types: 'code, Not Valid',
        max_concurrency: '0',
      })
    ).header('referer', '/agents/new')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/agents/new')
    assert.properties(fieldErrors(response), ['key', 'name', 'work_types', 'max_concurrency'])
    assert.equal(response.flashMessage('work_types'), 'code, Not Valid')
    assert.deepEqual(await counts(), before)
  })

  test('editing changes the profile, not the key; a concurrency below 1 is refused', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()

    await asUser(
      client,
      maintainer,
      'put',
      `/agents/${agent.id}`,
      profile({ key: 'renamed', work_types: '*', max_concurrency: '5' })
    )
    await agent.refresh()
    assert.notEqual(agent.key, 'renamed')
    assert.deepEqual(agent.capabilities.work_types, ['*'])
    assert.equal(agent.maxConcurrency, 5)
    const event = await AuditEvent.findByOrFail('action', 'agent.updated')
    assert.equal((event.details.to as any).max_concurrency, 5)

    const refused = await asUser(
      client,
      maintainer,
      'put',
      `/agents/${agent.id}`,
      profile({ max_concurrency: '0' })
    )
    assert.property(fieldErrors(refused), 'max_concurrency')
    await agent.refresh()
    assert.equal(agent.maxConcurrency, 5)
  })

  test('the project scope is set as slugs, shown on the agent’s page; an unknown slug is refused', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()
    const shop = await ProjectFactory.merge({ slug: 'shop' }).create()

    await asUser(client, maintainer, 'put', `/agents/${agent.id}`, profile({ projects: 'shop' }))
    await agent.refresh()
    assert.deepEqual(agent.projectIds, [shop.id])
    const page = await asUser(client, maintainer, 'get', `/agents/${agent.id}`)
    assert.include(page.text(), 'shop')
    const form = await asUser(client, maintainer, 'get', `/agents/${agent.id}/edit`)
    assert.include(form.text(), 'value="shop"')

    const refused = await asUser(
      client,
      maintainer,
      'put',
      `/agents/${agent.id}`,
      profile({ projects: 'shop, nowhere' })
    )
    assert.property(fieldErrors(refused), 'projects')
    await asUser(client, maintainer, 'put', `/agents/${agent.id}`, profile({ projects: '' }))
    await agent.refresh()
    assert.deepEqual(agent.projectIds, [], 'empty: every project')
  })

  test('disabling and enabling are audited; doing it twice records it once', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()

    await asUser(client, maintainer, 'delete', `/agents/${agent.id}/enablement`)
    await asUser(client, maintainer, 'delete', `/agents/${agent.id}/enablement`)
    await agent.refresh()
    assert.isFalse(agent.enabled)
    await asUser(client, maintainer, 'post', `/agents/${agent.id}/enablement`)
    await agent.refresh()
    assert.isTrue(agent.enabled)
    const auditEvents = await AuditEvent.query().where('subjectType', 'agent').orderBy('id')
    const actions = auditEvents.map((e) => e.action)
    assert.deepEqual(actions, ['agent.disabled', 'agent.enabled'])
  })

  test('the list shows running / max, enabled state and last seen', async ({ client, assert }) => {
    const { agent } = await claimedRun({
      agent: await AgentFactory.merge({ maxConcurrency: 4, key: 'busy-bee' }).create(),
    })
    await AgentFactory.apply('disabled').merge({ key: 'sleepy' }).create()

    const html = await htmlOf(client, await userWithRole('viewer'), '/agents')
    assert.match(html, new RegExp(`<code>busy-bee</code>[\\s\\S]*?1 / 4`))
    assert.match(html, /<code>sleepy<\/code>[\s\S]*?badge-disabled/)
    assert.include(html, `href="/agents/${agent.id}"`)
  })
})

test.group('Agent tokens', (group) => {
  group.each.setup(() => emptyWorld())

  test('an issued token is shown once, on the page right after issuing, and works against the API', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()

    const issued = await asUser(client, maintainer, 'post', `/agents/${agent.id}/tokens`, {
      name: 'laptop',
      expires_in_days: '30',
    })
    issued.assertStatus(302)
    assert.equal(issued.header('location'), `/agents/${agent.id}`)
    const plaintext = (issued.flashMessage('issuedToken') as any).value as string
    assert.match(plaintext, /^gha_/)

    // The page right after the redirect shows it…
    const shown = await client
      .get(`/agents/${agent.id}`)
      .loginAs(maintainer)
      .withSession(issued.session())
      .withFlashMessages(issued.flashMessages())
    assert.include(shown.text(), plaintext)
    assert.include(shown.text(), 'shown this once')
    // …and no page after it, nor the database (only a hash is kept).
    const again = await asUser(client, maintainer, 'get', `/agents/${agent.id}`)
    assert.notInclude(again.text(), plaintext)
    assert.include(again.text(), 'laptop')
    const rows = await db.from('agent_access_tokens').where('tokenable_id', agent.id)
    assert.lengthOf(rows, 1)
    assert.notInclude(JSON.stringify(rows), plaintext.split('.')[1])
    assert.isNotNull(rows[0].expires_at)

    const me = await client.get('/api/v1/agent').bearerToken(plaintext)
    me.assertStatus(200)
    const event = await AuditEvent.findByOrFail('action', 'agent.token_issued')
    assert.equal(event.details.name, 'laptop')
    assert.notInclude(JSON.stringify(event.details), plaintext.split('.')[1])
  })

  test('a token without a name is refused and none is issued', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()
    const before = await counts()
    const refused = await asUser(client, maintainer, 'post', `/agents/${agent.id}/tokens`, {
      name: '',
      expires_in_days: '0',
    })
    assert.properties(fieldErrors(refused), ['name', 'expires_in_days'])
    assert.isUndefined(refused.flashMessage('issuedToken'))
    assert.deepEqual(await counts(), before)
  })

  test('a revoked token no longer authenticates; another agent’s token cannot be revoked here', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()
    const other = await AgentFactory.create()
    const token = await Agent.accessTokens.create(agent)
    const otherToken = await Agent.accessTokens.create(other)

    const foreign = await asUser(
      client,
      maintainer,
      'delete',
      `/agents/${agent.id}/tokens/${otherToken.identifier}`
    )
    foreign.assertStatus(404)
    const response = await asUser(
      client,
      maintainer,
      'delete',
      `/agents/${agent.id}/tokens/${token.identifier}`
    )
    response.assertStatus(302)

    const me = await client.get('/api/v1/agent').bearerToken(token.value!.release())
    me.assertStatus(401)
    const stillWorks = await client.get('/api/v1/agent').bearerToken(otherToken.value!.release())
    stillWorks.assertStatus(200)
    const event = await AuditEvent.findByOrFail('action', 'agent.token_revoked')
    assert.equal(event.details.token_id, Number(token.identifier))
  })

  test('one statement reads the token and its agent; an expired token no longer authenticates', async ({
    client,
    assert,
  }) => {
    const agent = await AgentFactory.create()
    const token = await Agent.accessTokens.create(agent)
    const plaintext = token.value!.release()

    let status = 0
    const queries = await queriesOf(async () => {
      const me = await client.get('/api/v1/agent').bearerToken(plaintext)
      status = me.status()
    })
    assert.equal(status, 200)
    const lookups = queries.filter((query) =>
      /^select\b[\s\S]*\bfrom\s+"?(agent_access_tokens|agents)\b/i.test(query.sql.trim())
    )
    assert.lengthOf(lookups, 1)
    assert.match(lookups[0].sql, /join agents/)

    await db
      .from('agent_access_tokens')
      .where('id', Number(token.identifier))
      .update({ expires_at: new Date(Date.now() - 1000) })
    const expired = await client.get('/api/v1/agent').bearerToken(plaintext)
    expired.assertStatus(401)
  })
})
