import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import pruneRetainedData from '#jobs/prune_retained_data'
import IdempotencyKey, { KEY_LIFETIME_HOURS } from '#models/idempotency_key'

const owner = { kind: 'agent' as const, tokenId: 1 }

async function keysLeft() {
  const rows = await db.from('idempotency_keys').orderBy('key').select('key')
  return rows.map((row) => row.key)
}

test.group(
  'prune_retained_data job (idempotency keys; logs and deliveries: tests/functional/retention.spec.ts)',
  (group) => {
    group.each.setup(() => testUtils.db().truncate())

    test('forgets keys past their lifetime and keeps the younger ones; a second run changes nothing', async ({
      assert,
    }) => {
      await IdempotencyKey.reserve(owner, 'old', 'f1')
      await IdempotencyKey.reserve(owner, 'recent', 'f2')
      await db
        .from('idempotency_keys')
        .where('key', 'old')
        .update({
          created_at: db.raw(`now() - make_interval(hours => ?)`, [KEY_LIFETIME_HOURS + 1]),
        })

      await pruneRetainedData({})
      assert.deepEqual(await keysLeft(), ['recent'])

      await pruneRetainedData({})
      assert.deepEqual(await keysLeft(), ['recent'])
    })

    test('a pruned key is fresh again for its token', async ({ assert }) => {
      await IdempotencyKey.reserve(owner, 'retry', 'first-body')
      await db.from('idempotency_keys').update({
        created_at: db.raw(`now() - make_interval(hours => ?)`, [KEY_LIFETIME_HOURS + 1]),
      })

      await pruneRetainedData({})

      const again = await IdempotencyKey.reserve(owner, 'retry', 'another-body')
      assert.equal(again.outcome, 'fresh')
    })
  }
)
