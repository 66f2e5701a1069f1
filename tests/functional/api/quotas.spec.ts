import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import pg from 'pg'
import RunLog from '#models/run_log'
import Run from '#models/run'
import Quotas, { QUOTAS } from '#services/quotas'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'
import Browser from '#tests/support/browser_session'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const base = () => `http://${process.env.HOST}:${process.env.PORT}`

function assertQuotaHeaders(assert: any, headers: Headers, label: string) {
  assert.isAbove(Number(headers.get('retry-after')), 0, `${label}: Retry-After`)
  assert.isNotNull(headers.get('ratelimit-limit'), `${label}: RateLimit-Limit`)
  assert.equal(headers.get('ratelimit-remaining'), '0', `${label}: RateLimit-Remaining`)
  assert.isNotNull(headers.get('ratelimit-policy'), `${label}: RateLimit-Policy`)
}

function post(path: string, token: string, body: unknown, signal?: AbortSignal) {
  return fetch(`${base()}${path}`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  })
}

/** Runs `body` with a quota lowered, restoring the default after. */
async function withQuota<T>(name: keyof typeof QUOTAS, value: number, body: () => Promise<T>) {
  const saved = QUOTAS[name]
  QUOTAS[name] = value
  try {
    return await body()
  } finally {
    QUOTAS[name] = saved
  }
}

/**
 * Runs `body`, returning what it returned and the writing statements this process sent to
 * Postgres meanwhile (counted on the driver, so the limiter's own knex queries count too).
 */
async function writesDuring<T>(body: () => Promise<T>) {
  const statements: string[] = []
  const send = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string }
    const text = typeof config === 'string' ? config : (config?.text ?? '')
    if (/^\s*(insert|update|delete)\b/i.test(text)) statements.push(text.trim().slice(0, 120))
    return (send as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof send
  try {
    return { result: await body(), statements }
  } finally {
    pg.Client.prototype.query = send
  }
}

function p95(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]
}

test.group('Quotas', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await db.from('rate_limits').delete()
    Quotas.forgetLocalCounts()
  })
  group.teardown(async () => {
    await db.from('rate_limits').delete()
    await leaveNothingBehind()
  })

  test('an agent token past its requests per minute gets 429 with the headers; others go on', async ({
    assert,
  }) => {
    const { token } = await agentWithToken(AgentFactory.create())
    const { token: otherToken } = await agentWithToken(AgentFactory.create())
    await withQuota('agentRequestsPerMinute', 5, async () => {
      const get = (bearer: string) =>
        fetch(`${base()}/api/v1/agent`, { headers: { authorization: `Bearer ${bearer}` } })
      for (let i = 0; i < 5; i++) {
        const allowed = await get(token)
        assert.equal(allowed.status, 200)
      }
      const refused = await get(token)
      assert.equal(refused.status, 429)
      assertQuotaHeaders(assert, refused.headers, 'per token')
      const another = await get(otherToken)
      assert.equal(another.status, 200, 'another token has its own quota')
    })
  })

  test('requests a process admits on its own reach the shared count within a second or so', async ({
    assert,
  }) => {
    const { agent, token } = await agentWithToken(AgentFactory.create())
    const tokenId = await db
      .from('agent_access_tokens')
      .where('tokenable_id', agent.id)
      .select('id')
      .firstOrFail()
    const get = () =>
      fetch(`${base()}/api/v1/agent`, { headers: { authorization: `Bearer ${token}` } })
    const admitted = async () => {
      const response = await get()
      assert.equal(response.status, 200)
    }
    for (let i = 0; i < 10; i++) await admitted()
    const counted = async () => {
      const row = await db
        .from('rate_limits')
        .whereLike('key', `%agent_token:${tokenId.id}`)
        .select('points')
        .first()
      return Number(row?.points ?? 0)
    }
    // The first request asked Postgres; the other nine were counted here only.
    assert.equal(await counted(), 1)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    // A second later, the next request adds them (and itself) to the shared count.
    await admitted()
    let points = await counted()
    for (let i = 0; i < 40 && points < 11; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      points = await counted()
    }
    assert.equal(points, 11)
  })

  test('log lines past the per-second quota are 429 and not stored', async ({ assert }) => {
    const { run, token } = await claimedRun()
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ level: 'info', message: `line ${i}` }))
    await withQuota('logLinesPerSecond', 10, async () => {
      const accepted = await post(`/api/v1/runs/${run.id}/logs`, token, { lines: lines(8) })
      assert.equal(accepted.status, 202)
      // More than a second's worth in one batch: refused whatever the clock did meanwhile.
      const refused = await post(`/api/v1/runs/${run.id}/logs`, token, { lines: lines(12) })
      assert.equal(refused.status, 429)
      assertQuotaHeaders(assert, refused.headers, 'log lines')
    })
    assert.lengthOf(await RunLog.query().where('runId', run.id), 8)
  })

  test('past max_log_bytes_per_run the run’s logs are cut: 413, nothing more stored, the page says so', async ({
    assert,
    client,
  }) => {
    const { run, token } = await claimedRun()
    const batch = { lines: [{ level: 'info', message: 'x'.repeat(400) }] }
    const statuses: number[] = []
    await withQuota('maxLogBytesPerRun', 2000, async () => {
      for (let i = 0; i < 8; i++) {
        const response = await post(`/api/v1/runs/${run.id}/logs`, token, batch)
        statuses.push(response.status)
        if (response.status === 413) {
          const problem = (await response.json()) as { detail: string }
          assert.include(problem.detail, 'max_log_bytes_per_run')
        }
      }
    })
    const stored = await RunLog.query().where('runId', run.id)
    assert.isAbove(stored.length, 0)
    assert.equal(statuses.filter((status) => status === 202).length, stored.length)
    assert.equal(statuses.at(-1), 413)
    const fresh = await Run.findOrFail(run.id)
    assert.isAtMost(Number(fresh.logBytes), 2000)
    assert.isNotNull(fresh.logsCutAt)
    const page = await asUser(client, await userWithRole('viewer'), 'get', `/runs/${run.id}`)
    assert.include(page.text(), 'Logs were cut')
  })

  test('long-polls per agent are capped at max_concurrency: one more is 429 at once, and writes nothing (200 from one token, measured)', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token: flood } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 2 }).create()
    )
    const { token: other } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 1 }).create()
    )
    const adminUser = await userWithRole('admin')
    const admin = await Browser.signIn(adminUser.email)
    assert.exists(project)

    const measure = async () => {
      const claimMs: number[] = []
      const pageMs: number[] = []
      for (let i = 0; i < 10; i++) {
        let t = Date.now()
        const claim = await post('/api/v1/claims', other, {})
        claimMs.push(Date.now() - t)
        assert.equal(claim.status, 204)
        t = Date.now()
        const page = await admin.request('GET', '/')
        pageMs.push(Date.now() - t)
        assert.equal(page.status, 200)
      }
      return { claim: p95(claimMs), page: p95(pageMs) }
    }
    const quiet = await measure()
    // The flood token's first call records its use and starts its quota count; the flood's
    // refused requests then find both done.
    const first = await fetch(`${base()}/api/v1/agent`, {
      headers: { authorization: `Bearer ${flood}` },
    })
    assert.equal(first.status, 200)

    const hangUp = new AbortController()
    const started = Date.now()
    const writes = await writesDuring(async () => {
      const polls = Array.from({ length: 200 }, () =>
        post('/api/v1/claims', flood, { wait_seconds: 20 }, hangUp.signal)
          .then((response) => ({
            status: response.status,
            ms: Date.now() - started,
            headers: response.headers,
          }))
          .catch(() => ({ status: 0, ms: Date.now() - started, headers: new Headers() }))
      )
      await new Promise((resolve) => setTimeout(resolve, 500))
      return polls
    })

    const flooded = await measure()
    const abortedAt = Date.now() - started
    hangUp.abort()
    const answers = await Promise.all(writes.result)
    const refused = answers.filter((answer) => answer.status === 429)
    // Every poll is refused, or was still waiting when the test hung up (status 0): the two
    // admitted, and on a loaded machine some not answered yet. None claimed or answered 204.
    assert.deepEqual(
      answers.filter((answer) => answer.status !== 429 && answer.status !== 0),
      []
    )
    assert.isAtLeast(refused.length, 100)
    // Refused without waiting: answered while the two accepted claims were still waiting.
    assert.isBelow(Math.max(...refused.map((answer) => answer.ms)), abortedAt, 'refused at once')
    assertQuotaHeaders(assert, refused[0].headers, 'long-poll')
    // A refused request writes no row: at most the once-a-second quota count of the token.
    assert.isAtMost(writes.statements.length, 1, writes.statements.join('\n'))
    console.log(
      `long-poll flood (200 from one token, max_concurrency 2): another agent's claim p95 ${flooded.claim} ms (quiet: ${quiet.claim} ms), admin dashboard p95 ${flooded.page} ms (quiet: ${quiet.page} ms); ${writes.statements.length} writes for ${refused.length} refused polls`
    )
  }).timeout(180_000)

  test('a viewer holds at most 5 live log streams; the 6th is 429', async ({ assert }) => {
    const { run } = await claimedRun()
    const viewer = await userWithRole('viewer')
    const hangUp = new AbortController()
    // A real signed-in browser: its cookie is sent by every stream it opens.
    const browser = await Browser.signIn(viewer.email)
    const open = []
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${base()}/runs/${run.id}/logs/stream`, {
        headers: { cookie: browser.cookie },
        signal: hangUp.signal,
      })
      assert.equal(response.status, 200)
      open.push(response)
    }
    const sixth = await fetch(`${base()}/runs/${run.id}/logs/stream`, {
      headers: { cookie: browser.cookie, accept: 'text/html' },
    })
    assert.equal(sixth.status, 429)
    assert.isAbove(Number(sixth.headers.get('retry-after')), 0)
    hangUp.abort()
  })
})
