import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import RunLogStream from '#services/runs/run_log_stream'
import runLogNotifier from '#infrastructure/run_log_notifier'
import { claimedRun } from '#tests/support/claimed_run'
import { emptyWorld } from '#tests/support/test_database'

/** Collects what the stream writes; `until` resolves once a chunk matches. */
function collector() {
  const chunks: string[] = []
  const waiting: { match: RegExp; resolve: () => void }[] = []
  return {
    chunks,
    write(chunk: string) {
      chunks.push(chunk)
      for (const waiter of [...waiting]) if (waiter.match.test(chunk)) waiter.resolve()
    },
    until(match: RegExp) {
      if (chunks.some((chunk) => match.test(chunk))) return Promise.resolve()
      return new Promise<void>((resolve) => waiting.push({ match, resolve }))
    },
  }
}

test.group('RunLogStream', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => runLogNotifier.close())

  test('200 followers of a run cost one read per new batch, shared by all (fan-out)', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    const hangUp = new AbortController()
    const followers = Array.from({ length: 200 }, () => collector())
    const piping = followers.map((out) =>
      RunLogStream.pipe(run.id, 0, (chunk) => out.write(chunk), hangUp.signal)
    )
    // Everyone has caught up and waits (the first reads may not have coincided).
    await new Promise((resolve) => setTimeout(resolve, 1000))

    const before = RunLogStream.reads
    for (let batch = 1; batch <= 3; batch++) {
      await run.appendLogs([{ level: 'info', message: `batch ${batch}` }])
      await Promise.all(followers.map((out) => out.until(new RegExp(`batch ${batch}`))))
    }
    const reads = RunLogStream.reads - before
    console.log(
      `live-log fan-out: 200 followers, 3 batches: ${reads} reads (unshared, each follower read lines and run state per batch: 1,200)`
    )
    assert.isAtMost(reads, 3 * 2, 'one lines read and one run read per batch')
    hangUp.abort()
    await Promise.all(piping)
  }).timeout(60_000)

  test('sends the backlog, then wakes on NOTIFY for new lines and for the run’s end (well before its 5 s idle check)', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    await run.appendLogs([{ level: 'info', message: 'before the page opened' }])
    const out = collector()
    const hangUp = new AbortController()

    const piping = RunLogStream.pipe(run.id, 0, (chunk) => out.write(chunk), hangUp.signal)
    await out.until(/before the page opened/)

    const appendedAt = Date.now()
    await run.appendLogs([{ level: 'warn', message: 'live line', stream: 'stderr' }])
    await out.until(/live line/)
    assert.isBelow(Date.now() - appendedAt, 1000)

    const endedAt = Date.now()
    await run.merge({ status: 'succeeded', finishedAt: DateTime.now() }).save()
    await piping
    assert.isBelow(Date.now() - endedAt, 1000)
    const events = out.chunks.filter((chunk) => !chunk.startsWith(':'))
    assert.deepEqual(
      events.map((event) => event.split('\n').slice(0, 2).join(' ')),
      [
        'id: 1 event: line',
        'id: 2 event: line',
        'event: end data: {"status":"succeeded","last_seq":2}',
      ]
    )
    assert.include(events[1], '"level":"warn","stream":"stderr","message":"live line"')
  })

  test('resumes after the given seq and stops when the client hangs up', async ({ assert }) => {
    const { run } = await claimedRun()
    await run.appendLogs([1, 2, 3].map((n) => ({ level: 'info' as const, message: `line ${n}` })))
    const out = collector()
    const hangUp = new AbortController()

    const piping = RunLogStream.pipe(run.id, 2, (chunk) => out.write(chunk), hangUp.signal)
    await out.until(/line 3/)
    hangUp.abort()
    await piping

    assert.deepEqual(out.chunks.filter((chunk) => chunk.includes('event: line')).length, 1)
    assert.notInclude(out.chunks.join(''), 'event: end')
  })

  test('a viewer that cannot take more is not read for until it drains, then gets every line', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    // Two full batches (500 lines each) and a bit.
    for (let part = 0; part < 3; part++) {
      await run.appendLogs(
        Array.from({ length: 500 }, (_, n) => ({
          level: 'info' as const,
          message: `line ${part * 500 + n + 1}`,
        }))
      )
    }
    const received: string[] = []
    let drain = () => {}
    const hangUp = new AbortController()
    const piping = RunLogStream.pipe(
      run.id,
      0,
      (chunk) => {
        received.push(chunk)
        // The socket's buffer is full after every write until the viewer reads.
        return new Promise<void>((resolve) => (drain = resolve))
      },
      hangUp.signal
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.lengthOf(received, 1, 'one batch written, nothing more read while it waits')

    while (!received.join('').includes('line 1500')) {
      drain()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await run.merge({ status: 'succeeded', finishedAt: DateTime.now() }).save()
    while (!received.join('').includes('event: end')) {
      drain()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await piping
    const seqs = [...received.join('').matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]))
    assert.deepEqual(
      seqs,
      Array.from({ length: 1500 }, (_, n) => n + 1)
    )
  })

  test('a follower that fell behind is served the batches the others read, not read again', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    const fast = collector()
    let drain = () => {}
    const slow: string[] = []
    const hangUp = new AbortController()
    const piping = [
      RunLogStream.pipe(run.id, 0, (chunk) => fast.write(chunk), hangUp.signal),
      RunLogStream.pipe(
        run.id,
        0,
        (chunk) => {
          slow.push(chunk)
          return new Promise<void>((resolve) => (drain = resolve))
        },
        hangUp.signal
      ),
    ]
    await new Promise((resolve) => setTimeout(resolve, 300))
    const before = RunLogStream.lineReads
    for (let batch = 1; batch <= 5; batch++) {
      await run.appendLogs([{ level: 'info', message: `batch ${batch}` }])
      await fast.until(new RegExp(`batch ${batch}`))
    }
    const readsForFast = RunLogStream.lineReads - before
    while (!slow.join('').includes('batch 5')) {
      drain()
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.equal(
      RunLogStream.lineReads - before,
      readsForFast,
      'the slow follower read no lines itself'
    )
    assert.deepEqual(
      [...slow.join('').matchAll(/batch (\d)/g)].map((match) => Number(match[1])),
      [1, 2, 3, 4, 5]
    )
    hangUp.abort()
    drain()
    await Promise.all(piping)
  })
})
