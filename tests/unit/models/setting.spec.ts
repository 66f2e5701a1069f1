import { test } from '@japa/runner'
import pg from 'pg'
import Setting, { type Settings } from '#models/setting'
import DatabaseServer from '#infrastructure/database_server'
import { CLAIMABLE_CHANNEL } from '#infrastructure/claimable'
import { userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { emptyWorld, setSettings } from '#tests/support/test_database'

/** How many "look again" notifications waiting claimers received while `change` ran. */
async function announcementsDuring(change: () => Promise<unknown>) {
  const listener = new pg.Client({ connectionString: DatabaseServer.connectionString() })
  listener.on('error', () => {})
  await listener.connect()
  let count = 0
  listener.on('notification', () => count++)
  await listener.query(`listen ${CLAIMABLE_CHANNEL}`)
  try {
    await change()
    await listener.query('select 1')
  } finally {
    await listener.end()
  }
  return count
}

test.group('Setting.change', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  const cases: Array<[string, Partial<Settings>, Partial<Settings>, number]> = [
    [
      'turning agents back on wakes claimers',
      { agents_enabled: false, max_parallel_runs: null },
      { agents_enabled: true, max_parallel_runs: null },
      1,
    ],
    [
      'raising the cap wakes claimers',
      { agents_enabled: true, max_parallel_runs: 2 },
      { agents_enabled: true, max_parallel_runs: 3 },
      1,
    ],
    [
      'removing the cap wakes claimers',
      { agents_enabled: true, max_parallel_runs: 2 },
      { agents_enabled: true, max_parallel_runs: null },
      1,
    ],
    [
      'the kill switch wakes nobody',
      { agents_enabled: true, max_parallel_runs: null },
      { agents_enabled: false, max_parallel_runs: null },
      0,
    ],
    [
      'lowering the cap wakes nobody',
      { agents_enabled: true, max_parallel_runs: 3 },
      { agents_enabled: true, max_parallel_runs: 2 },
      0,
    ],
  ]
  for (const [title, before, after, expected] of cases) {
    test(title, async ({ assert }) => {
      await setSettings(before)
      const admin = await userWithRole('admin')
      const announced = await announcementsDuring(() => Setting.change(after, admin, '10.0.0.1'))
      assert.equal(announced, expected)
      assert.deepEqual(await Setting.current(), { ...Setting.fromValues({}), ...after })
    })
  }
})
