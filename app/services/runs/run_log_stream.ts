import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import RunLog from '#models/run_log'
import runLogNotifier from '#infrastructure/run_log_notifier'

/** Lines sent per read; a backlog is sent in batches of this size. */
const BATCH = 500
/** Longest wait without news: the stream then checks whether the run ended, and keeps alive. */
const IDLE_CHECK_MS = 5_000

/**
 * A run's log as Server-Sent Events, from the line after `afterSeq` on: every line as an
 * event `line` (its id is the seq, so a reconnecting EventSource resumes where it stopped),
 * then an event `end` once the run has finished and every line was sent. New lines and the
 * run's end (a trigger on runs) wake the stream through the process's LISTEN connection;
 * without news it looks again every 5 s, in case a notification was lost to a reconnect.
 */
export default class RunLogStream {
  /** Reads issued to Postgres by this process's streams (shared reads count once). */
  static reads = 0
  /** Of those, the reads of log lines (the rest read the run's state). */
  static lineReads = 0

  static async pipe(
    runId: number,
    afterSeq: number,
    /** Resolves when the viewer can take more: a slow one reads on at its own pace. */
    write: (chunk: string) => void | Promise<void>,
    signal: AbortSignal
  ) {
    let lastSeq = afterSeq
    let woken = false
    let wake = () => {}
    const unfollowNotifications = runLogNotifier.follow(runId, () => {
      woken = true
      wake()
    })
    const unfollowBatches = followed(runId)
    await runLogNotifier.listen().catch((error) => {
      logger.warn({ err: error }, 'run log stream cannot listen; falling back to polling')
    })
    try {
      while (!signal.aborted) {
        woken = false
        const batch = await linesAfter(runId, lastSeq)
        if (batch.count > 0) {
          await write(batch.events)
          lastSeq = batch.lastSeq
        }
        if (batch.count === BATCH) continue
        const run = await runState(runId)
        if (!run || (run.status !== 'running' && run.last_log_seq <= lastSeq)) {
          write(
            `event: end\ndata: ${JSON.stringify({ status: run?.status ?? null, last_seq: lastSeq })}\n\n`
          )
          return
        }
        // Lines beyond what this follower was given (a kept, shorter batch): read on at once.
        if (woken || run.last_log_seq > lastSeq) continue
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, IDLE_CHECK_MS)
          signal.addEventListener('abort', done, { once: true })
          wake = done
          function done() {
            clearTimeout(timer)
            signal.removeEventListener('abort', done)
            wake = () => {}
            resolve()
          }
        })
        if (!woken && !signal.aborted) write(': still running\n\n')
      }
    } finally {
      unfollowNotifications()
      unfollowBatches()
    }
  }
}

/**
 * Reads shared by every follower of a run in this process: followers woken by the same
 * notification stand at the same seq, so 200 viewers cost one read per new batch, not 200.
 */
const inFlight = new Map<string, Promise<unknown>>()

function shared<T>(key: string, read: () => Promise<T>): Promise<T> {
  let pending = inFlight.get(key) as Promise<T> | undefined
  if (!pending) {
    RunLogStream.reads++
    pending = read().finally(() => inFlight.delete(key))
    inFlight.set(key, pending)
  }
  return pending
}

type Batch = { count: number; lastSeq: number; events: string }

/**
 * Batches read lately, per followed run, kept while the run has followers in this process: a
 * follower that fell behind (it waits for its socket to drain) asks for the same (run, seq)
 * batches the others asked for before, and finds them here instead of reading again. Lines
 * after a seq never change, only grow, so a kept batch is still a true (if shorter) answer.
 */
const followers = new Map<number, number>()
const keptBatches = new Map<number, Map<number, { keptAt: number; batch: Batch }>>()
/** 20 batches of 500 lines: a follower further behind reads for itself. */
const KEPT_PER_RUN = 20
const KEPT_MS = 30_000

function followed(runId: number) {
  followers.set(runId, (followers.get(runId) ?? 0) + 1)
  return () => {
    const left = (followers.get(runId) ?? 1) - 1
    if (left > 0) return followers.set(runId, left)
    followers.delete(runId)
    keptBatches.delete(runId)
  }
}

function keep(runId: number, seq: number, batch: Batch) {
  if (!followers.has(runId)) return
  const kept = keptBatches.get(runId) ?? new Map()
  keptBatches.set(runId, kept)
  kept.set(seq, { keptAt: Date.now(), batch })
  for (const oldest of kept.keys()) {
    if (kept.size <= KEPT_PER_RUN) break
    kept.delete(oldest)
  }
}

/**
 * The lines after `seq` as Server-Sent Events, formatted once per read and written as one
 * chunk: formatting and writing each line per follower cut a run's log intake from about
 * 26,000-35,000 to 800-1,400 lines/s with 200 viewers (`npm run bench:live-logs`).
 */
function linesAfter(runId: number, seq: number): Promise<Batch> {
  const kept = keptBatches.get(runId)?.get(seq)
  if (kept && Date.now() - kept.keptAt < KEPT_MS) return Promise.resolve(kept.batch)
  return shared(`lines:${runId}:${seq}`, async () => {
    RunLogStream.lineReads++
    const lines = await RunLog.query()
      .where('runId', runId)
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(BATCH)
    const batch = {
      count: lines.length,
      lastSeq: lines.at(-1)?.seq ?? seq,
      events: lines
        .map((line) => `id: ${line.seq}\nevent: line\ndata: ${JSON.stringify(lineJson(line))}\n\n`)
        .join(''),
    }
    // An empty answer is only true until the next line: never kept.
    if (batch.count > 0) keep(runId, seq, batch)
    return batch
  })
}

function runState(runId: number) {
  return shared(`run:${runId}`, () =>
    db.from('runs').where('id', runId).select('status', 'last_log_seq').first()
  )
}

function lineJson(line: RunLog) {
  return {
    seq: line.seq,
    level: line.level,
    stream: line.stream,
    message: line.message,
    logged_at: line.loggedAt.toISO(),
  }
}
