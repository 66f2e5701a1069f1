import { test } from '@japa/runner'
import { errors as vineErrors } from '@vinejs/vine'
import announceClaimable from '#jobs/announce_claimable'
import { CLAIMABLE_CHANNEL } from '#infrastructure/claimable'
import PostgresListener from '#infrastructure/postgres_listener'

test.group('announce_claimable job', () => {
  test("wakes the claimers waiting on the project's channel", async ({ assert, cleanup }) => {
    const heard: (string | undefined)[] = []
    const listener = new PostgresListener(CLAIMABLE_CHANNEL, {
      onNotification: (payload) => heard.push(payload),
      onReconnect: () => {},
    })
    cleanup(() => listener.close())
    await listener.listen()

    await announceClaimable({ projectId: 7 })

    const deadline = Date.now() + 5000
    while (!heard.includes('7') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.include(heard, '7')
  })

  test('a project id that is not a number is refused', async ({ assert }) => {
    await assert.rejects(
      () => announceClaimable({ projectId: 'seven' }),
      vineErrors.E_VALIDATION_ERROR
    )
  })
})
