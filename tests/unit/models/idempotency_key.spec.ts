import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import IdempotencyKey from '#models/idempotency_key'

const agentToken = { kind: 'agent' as const, tokenId: 1 }
const answer = { statusCode: 201, headers: { location: '/runs/9' }, body: { id: 9 } }

test.group('IdempotencyKey', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('the first request reserves the key; once answered, a retry gets that answer back', async ({
    assert,
  }) => {
    const fingerprint = IdempotencyKey.fingerprint('POST', '/api/v1/claims', { a: 1, b: [2] })
    const first = await IdempotencyKey.reserve(agentToken, 'k1', fingerprint)
    assert.equal(first.outcome, 'fresh')
    await IdempotencyKey.store((first as { id: number }).id, answer)

    const sameBodyOtherOrder = IdempotencyKey.fingerprint('POST', '/api/v1/claims', {
      b: [2],
      a: 1,
    })
    assert.deepEqual(await IdempotencyKey.reserve(agentToken, 'k1', sameBodyOtherOrder), {
      outcome: 'replay',
      answer,
    })
  })

  test('the same key with another request is a mismatch; another token’s key never meets it', async ({
    assert,
  }) => {
    const claim = IdempotencyKey.fingerprint('POST', '/api/v1/claims', {})
    const first = await IdempotencyKey.reserve(agentToken, 'k1', claim)
    await IdempotencyKey.store((first as { id: number }).id, answer)

    const other = IdempotencyKey.fingerprint('POST', '/api/v1/runs/9/complete', {})
    assert.deepEqual(await IdempotencyKey.reserve(agentToken, 'k1', other), {
      outcome: 'mismatch',
    })
    const projectKey = await IdempotencyKey.reserve({ kind: 'project', tokenId: 1 }, 'k1', other)
    assert.equal(projectKey.outcome, 'fresh')
  })

  test('a first request that failed releases its key: the retry does the work', async ({
    assert,
  }) => {
    const fingerprint = IdempotencyKey.fingerprint('POST', '/api/v1/claims', {})
    const first = await IdempotencyKey.reserve(agentToken, 'k1', fingerprint)
    await IdempotencyKey.release((first as { id: number }).id)

    const retry = await IdempotencyKey.reserve(agentToken, 'k1', fingerprint)
    assert.equal(retry.outcome, 'fresh')
  })
})
