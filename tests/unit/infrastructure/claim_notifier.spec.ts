import { test } from '@japa/runner'
import { ClaimNotifier, WAKE_BATCH, type WaiterScope } from '#infrastructure/claim_notifier'
import { announcementPayload, parseAnnouncement } from '#infrastructure/claimable'

const anyone = (agentId: number): WaiterScope => ({ agentId, projectIds: [], workTypes: null })
const settle = () => new Promise((resolve) => setImmediate(resolve))

test.group('ClaimNotifier: bounded wake-ups', () => {
  test('500 waiters and one announcement wake WAKE_BATCH of them, oldest first', async ({
    assert,
  }) => {
    const notifier = new ClaimNotifier()
    const woken: number[] = []
    const abort = new AbortController()
    for (let i = 0; i < 500; i++) {
      notifier
        .waitAfter(notifier.generation, 10_000, anyone(i), abort.signal)
        .then((announcement) => announcement && woken.push(i))
    }
    notifier.deliver('7')
    await settle()

    assert.deepEqual(woken, [0, 1].slice(0, WAKE_BATCH))
    assert.equal(notifier.waiting, 500 - WAKE_BATCH)
    abort.abort()
    await settle()
    assert.equal(notifier.waiting, 0)
  })

  test('a woken waiter that claimed passes more wake-ups on', async ({ assert }) => {
    const notifier = new ClaimNotifier()
    const woken: number[] = []
    const abort = new AbortController()
    const waits = Array.from({ length: 10 }, (_, i) =>
      notifier.waitAfter(0, 10_000, anyone(i), abort.signal).then((a) => {
        if (a) woken.push(i)
        return a
      })
    )
    notifier.deliver('')
    const first = (await waits[0])!
    notifier.served(first)
    await settle()

    assert.lengthOf(woken, 2 * WAKE_BATCH)
    abort.abort()
  })

  test('an announcement wakes only waiters who could take its work', async ({ assert }) => {
    const notifier = new ClaimNotifier()
    const woken: string[] = []
    const abort = new AbortController()
    const wait = (name: string, scope: WaiterScope) =>
      notifier.waitAfter(0, 10_000, scope, abort.signal).then((a) => a && woken.push(name))
    wait('other project', { agentId: 1, projectIds: [9], workTypes: null })
    wait('docs only', { agentId: 2, projectIds: [], workTypes: ['docs'] })
    wait('not the pinned agent', { agentId: 3, projectIds: [], workTypes: null })
    wait('pinned agent', { agentId: 4, projectIds: [7], workTypes: ['code'] })

    notifier.deliver(announcementPayload(7, { workType: 'code', agentId: 4 }))
    await settle()

    assert.deepEqual(woken, ['pinned agent'])
    abort.abort()
  })

  test('a claimer that was looking when an announcement came looks again at once', async ({
    assert,
  }) => {
    const notifier = new ClaimNotifier()
    const before = notifier.generation
    notifier.deliver('3')
    const announcement = await notifier.waitAfter(before, 10_000, anyone(1))
    assert.equal(announcement?.projectId, 3)
    assert.isNull(await notifier.waitAfter(notifier.generation, 10, anyone(2)))
  })

  test('payloads name the project, the work type and the only agent, each optional', ({
    assert,
  }) => {
    assert.equal(announcementPayload(null), '')
    assert.equal(announcementPayload(5), '5')
    assert.equal(announcementPayload(5, { agentId: 2 }), '5::2')
    assert.deepEqual(parseAnnouncement('5::2'), { projectId: 5, workType: null, agentId: 2 })
    assert.deepEqual(parseAnnouncement(''), { projectId: null, workType: null, agentId: null })
  })
})
