import { test } from '@japa/runner'
import fc from 'fast-check'
import router from '@adonisjs/core/services/router'
import db from '@adonisjs/lucid/services/db'
import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser, userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { clearJobs } from '#tests/support/github_world'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { emptyWorld } from '#tests/support/test_database'

/** Fixed, so that a failure replays; the count bounds the test's time in `npm test`. */
const SEED = 1313
const REQUESTS = 400

/** Field names the forms, filters and API bodies read, and a few they do not. */
const FIELDS = [
  'title',
  'work_type',
  'payload',
  'priority',
  'project_id',
  'agent_id',
  'depends_on',
  'reason',
  'name',
  'key',
  'description',
  'max_concurrency',
  'capabilities',
  'model_name',
  'model_version',
  'email',
  'full_name',
  'password',
  'role',
  'slug',
  'brief',
  'repo_full_name',
  'repo_default_branch',
  'state',
  'kind',
  'value',
  'status',
  'action',
  'actor',
  'project',
  'cursor',
  'before',
  'after',
  'outcome',
  'summary',
  'error',
  'pr_url',
  'pr_number',
  'head_sha',
  'branch_name',
  'costs',
  'tests',
  'lines',
  'level',
  'message',
  'data',
  'progress',
  'work_types',
  'gates_config',
  'expires_in',
  'decision',
  'q',
  'page',
  'source',
  '__proto__',
  'constructor',
]

const LONE_SURROGATES = ['\ud800', '\udfff', 'a\udc00b', '\ud83d']

/** Text a careless client or an attacker sends. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ maxLength: 10 }).map((text) => `${text}\u0000${text}`),
  fc.constantFrom(...LONE_SURROGATES).map((s) => `x${s}`),
  fc.integer({ min: 200, max: 3000 }).map((length) => 'a'.repeat(length)),
  fc.constantFrom(
    '99999999999999999999',
    '-1',
    '0',
    '1e400',
    'NaN',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    '[]',
    '<script>alert(1)</script>',
    'javascript:alert(1)',
    '%00',
    ' '
  )
)
const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 31, 1e20, -1e20),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(hostileString, fc.constantFrom(...FIELDS)), tie('value'), {
      maxKeys: 3,
    })
  ),
})).value

const fields = <T>(value: fc.Arbitrary<T>) =>
  fc.dictionary(fc.constantFrom(...FIELDS), value, { minKeys: 1, maxKeys: 6 })

/** Every table's rows, minus the stamps that merely reading or authenticating moves. */
async function rowsFingerprint() {
  const { rows } = await db.rawQuery(`
    select table_name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE'
       and table_name not in ('rate_limits', 'adonis_schema', 'adonis_schema_versions', 'sessions')`)
  const fingerprint: Record<string, string> = {}
  for (const { table_name: table } of rows as { table_name: string }[]) {
    const result = await db.rawQuery(
      `select md5(coalesce(string_agg(
          (to_jsonb(t) - 'last_seen_at' - 'last_used_at' - 'last_login_at')::text, ',' order by 1), '')) as h
         from ?? t`,
      [table]
    )
    fingerprint[table] = result.rows[0].h
  }
  return fingerprint
}

type World = { admin: User; ids: Record<string, number>; token: string }

/** Route parameters: the world's real ids mostly, sometimes one that names nothing. */
function paramArbitrary(world: World, name: string) {
  const real = world.ids[name] ?? world.ids.id
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(String(real)) },
    fc.constantFrom('1', '99999999999999999999', '0')
  )
}

function idsFor(pattern: string, world: World) {
  const prefix = pattern.split('/')[1]
  const byPrefix: Record<string, number> = {
    'work-items': world.ids.workItem,
    'runs': world.ids.run,
    'agents': world.ids.agent,
    'projects': world.ids.project,
    'users': world.ids.user,
  }
  return { ...world.ids, id: byPrefix[prefix] ?? world.ids.run }
}

async function send(
  client: ApiClient,
  world: World,
  request: {
    method: string
    url: string
    query: Record<string, unknown>
    body: unknown
    asText: boolean
  }
) {
  const method = request.method.toLowerCase() as 'get'
  if (request.url.startsWith('/api/') || request.url.startsWith('/webhooks/')) {
    let call = client[method](request.url)
      .qs(request.query as never)
      .bearerToken(world.token)
    if (method === 'get') return call
    if (request.url.endsWith('/claims')) {
      // A valid wait would hold the request open for its full length.
      request.body = { ...(request.body as object), wait_seconds: 0 }
    }
    if (request.asText) return call.unsafeJson(JSON.stringify(request.body)).type('text/plain')
    return call.json(request.body as never)
  }
  const formBody = method === 'get' ? undefined : (request.body as Record<string, unknown>)
  return asUser(client, world.admin, method, request.url, formBody).qs(request.query as never)
}

test.group('Hostile input fuzz: every route, form and filter', (group) => {
  group.setup(async () => {
    await emptyWorld()
    await clearJobs()
  })
  group.teardown(() => leaveNothingBehind())

  test('no generated request gets a 5xx, and a refused one changes no row', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const other = await userWithRole('viewer')
    const { project, agent, item, run, token } = await claimedRun()
    const pending = await WorkItemFactory.merge({
      projectId: project.id,
      status: 'pending',
    }).create()
    const world: World = {
      admin,
      token,
      ids: {
        workItem: pending.id,
        run: run.id,
        agent: agent.id,
        project: project.id,
        user: other.id,
        projectId: project.id,
        tokenId: 1,
        claimedItem: item.id,
      },
    }
    const routes = Object.values(router.toJSON())
      .flat()
      .flatMap((route) =>
        route.methods
          .filter((method) => method !== 'HEAD')
          // The live log stream never ends by itself; its input is the route id only.
          .filter(() => !route.pattern.endsWith('/logs/stream'))
          .map((method) => ({ method, pattern: route.pattern }))
      )
    assert.isAbove(routes.length, 40)

    const request = fc
      .constantFrom(...routes)
      .chain((route) => {
        const params = [...route.pattern.matchAll(/:([a-zA-Z_]+)/g)].map((match) => match[1])
        const ids = idsFor(route.pattern, world)
        return fc.record({
          route: fc.constant(route),
          params: fc.tuple(...params.map((name) => paramArbitrary({ ...world, ids }, name))),
          query: route.method === 'GET' ? fields(hostileString) : fc.constant({}),
          body: route.pattern.startsWith('/api/')
            ? fields(hostileJson)
            : fields(fc.oneof(hostileString, fc.array(hostileString, { maxLength: 2 }))),
          asText: fc.boolean().map((flip) => flip && route.pattern.startsWith('/api/')),
        })
      })
      .map(({ route, params, query, body, asText }) => {
        let index = 0
        const url = route.pattern.replace(/:[a-zA-Z_]+/g, () => encodeURIComponent(params[index++]))
        return { method: route.method, url, query, body, asText }
      })

    let sent = 0
    await fc.assert(
      fc.asyncProperty(request, async (generated) => {
        const before = await rowsFingerprint()
        const response = await send(client, world, generated)
        sent++
        const status = response.status()
        const label = `${generated.method} ${generated.url} ${JSON.stringify(generated.query)} ${JSON.stringify(generated.body)}`
        assert.isBelow(status, 500, label)
        const refusedForm =
          status === 302 &&
          Object.keys(response.flashMessages() ?? {}).some((key) => key === 'inputErrorsBag')
        if (status >= 400 || refusedForm) {
          assert.deepEqual(
            await rowsFingerprint(),
            before,
            `a refused request changed rows: ${label}`
          )
        }
      }),
      { seed: SEED, numRuns: REQUESTS, endOnFailure: true }
    )
    assert.equal(sent, REQUESTS)
  }).timeout(600_000)
})
