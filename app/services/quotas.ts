import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'
import Problem from '#exceptions/problem'

/** The quotas and their defaults (docs/security.md); each can be set in the environment. */
export const QUOTAS = {
  /** Agent API requests per token per minute. */
  agentRequestsPerMinute: env.get('QUOTA_AGENT_REQUESTS_PER_MINUTE') ?? 6000,
  /** Log lines one run may send per second. */
  logLinesPerSecond: env.get('QUOTA_LOG_LINES_PER_SECOND') ?? 2000,
  /** Log bytes one run may send per second. */
  logBytesPerSecond: env.get('QUOTA_LOG_BYTES_PER_SECOND') ?? 2 * 1024 * 1024,
  /** Log bytes one run may send in all; past it the run's logs are cut (413). */
  maxLogBytesPerRun: env.get('MAX_LOG_BYTES_PER_RUN') ?? 50 * 1024 * 1024,
  /** Live-log streams one user may hold open at once (per process). */
  liveLogStreamsPerUser: env.get('QUOTA_LIVE_LOG_STREAMS_PER_USER') ?? 5,
}

/**
 * Quotas that keep one agent or viewer from starving the others, counted in Postgres with
 * @adonisjs/limiter's database store (every process counts the same requests; each process
 * adds its counts at most once a second, see SharedCounts), except the log quotas, counted on
 * the run's row by the statement that numbers each batch, and the
 * open-connection counts, which are per process because connections are. Past a quota:
 * 429 with Retry-After and the RateLimit headers, or 413 for a run's log total.
 */
export default class Quotas {
  /** One agent API request by this token. */
  static async agentRequest(tokenId: string | number) {
    await this.#consume(
      `agent_token:${tokenId}`,
      QUOTAS.agentRequestsPerMinute,
      60,
      1,
      'requests per minute by this token'
    )
  }

  /**
   * A run's log counts after a batch, as `Run` counted them on the run's row in the statement
   * that numbered the batch: its lines and bytes this second, then its total. Throws the 429 or
   * the 413 (LogTotalReached); the caller's transaction then rolls the batch and its counts back.
   */
  static judgeLogBatch(counts: LogBatchCounts) {
    const retryAfter = Math.max(1, Math.ceil(Number(counts.second_left)))
    const rates: [number, number, string][] = [
      [Number(counts.log_second_lines), QUOTAS.logLinesPerSecond, 'log lines per second'],
      [Number(counts.log_second_bytes), QUOTAS.logBytesPerSecond, 'log bytes per second'],
    ]
    for (const [counted, limit, what] of rates) {
      if (counted <= limit) continue
      throw new Problem(
        429,
        'Too Many Requests',
        `Quota reached: at most ${limit} ${what} for this run.`,
        { ...rateLimitHeaders(limit, 0, retryAfter, 1), 'Retry-After': String(retryAfter) }
      )
    }
    if (Number(counts.log_bytes) > QUOTAS.maxLogBytesPerRun) throw new LogTotalReached()
  }

  static async #consume(
    key: string,
    limit: number,
    windowSeconds: number,
    amount: number,
    what: string
  ) {
    const refusal = await sharedCounts.consume(key, limit, windowSeconds, amount)
    if (refusal === null) return
    throw new Problem(429, 'Too Many Requests', `Quota reached: at most ${limit} ${what}.`, {
      ...rateLimitHeaders(limit, 0, refusal.retryAfter, windowSeconds),
      'Retry-After': String(refusal.retryAfter),
    })
  }

  /** Forgets this process's counts (tests that empty `rate_limits` between cases). */
  static forgetLocalCounts() {
    sharedCounts.forget()
  }
}

/** How long a process counts a key's admitted requests before adding them to Postgres. */
const SYNC_EVERY_MS = 1000
/** Past this many keys, keys whose window is over are dropped. */
const SWEEP_ABOVE_KEYS = 10_000

type KeyCount = {
  /** What Postgres allowed at the last sync: points left until the window resets. */
  remaining: number
  resetsAt: number
  /** Admitted here since the last sync, not yet counted in Postgres. */
  unsynced: number
  syncedAt: number
  /** Refused here without asking Postgres until then (Postgres said the quota was used up). */
  refusedUntil: number
  syncing: Promise<unknown> | null
}

/**
 * The shared count in Postgres (@adonisjs/limiter's database store), written at most once a
 * second per key and process instead of once per request. A process admits a request on its
 * own while what it admitted since its last sync fits in what Postgres then had left; past
 * that, or in a new window, it asks Postgres (this request included) and waits for the
 * answer. Once Postgres refuses, the process refuses on its own until the window resets, so a
 * flood of refused requests writes nothing. Across N processes an agent can exceed a quota by
 * at most what the other processes admitted in their last second before syncing.
 */
class SharedCounts {
  #counts = new Map<string, KeyCount>()

  /** Null when admitted; else the seconds until the quota has room again. */
  async consume(
    key: string,
    limit: number,
    windowSeconds: number,
    amount: number
  ): Promise<{ retryAfter: number } | null> {
    // A changed limit starts a count of its own (tests lower quotas for a case).
    const countKey = `${key}|${limit}|${windowSeconds}`
    while (true) {
      const count = this.#counts.get(countKey)
      const now = Date.now()
      if (count?.syncing) {
        await count.syncing
        continue
      }
      if (count && now < count.refusedUntil) {
        return { retryAfter: Math.max(1, Math.ceil((count.refusedUntil - now) / 1000)) }
      }
      if (count && now < count.resetsAt && count.unsynced + amount <= count.remaining) {
        count.unsynced += amount
        if (now - count.syncedAt >= SYNC_EVERY_MS) {
          this.#sync(key, countKey, limit, windowSeconds, 0).catch((error) =>
            logger.warn({ err: error, key }, 'quota count could not be written')
          )
        }
        return null
      }
      return this.#sync(key, countKey, limit, windowSeconds, amount)
    }
  }

  forget() {
    this.#counts.clear()
  }

  /** Adds what this process admitted (and `amount`, this request) to the count in Postgres. */
  async #sync(
    key: string,
    countKey: string,
    limit: number,
    windowSeconds: number,
    amount: number
  ): Promise<{ retryAfter: number } | null> {
    const now = Date.now()
    const previous = this.#counts.get(countKey)
    // Requests admitted in a window that is over are not carried into the next one.
    const carried = previous && now < previous.resetsAt ? previous.unsynced : 0
    const count: KeyCount = previous ?? {
      remaining: 0,
      resetsAt: 0,
      unsynced: 0,
      syncedAt: 0,
      refusedUntil: 0,
      syncing: null,
    }
    count.unsynced = 0
    count.syncedAt = now
    this.#counts.set(countKey, count)
    if (carried + amount === 0) return null
    if (this.#counts.size > SWEEP_ABOVE_KEYS) this.#sweep(now)

    const throttle = limiter.use({ requests: limit, duration: windowSeconds })
    const asking = throttle.consume(key, carried + amount)
    count.syncing = asking.catch(() => {})
    try {
      const response = await asking
      count.remaining = response.remaining
      count.resetsAt = Date.now() + response.availableIn * 1000
      return null
    } catch (error) {
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) {
        // Postgres did not answer: these requests are counted at the next sync.
        count.unsynced += carried
        throw error
      }
      const retryAfter = Math.max(1, Math.ceil(error.response.availableIn))
      count.remaining = 0
      count.resetsAt = Date.now() + retryAfter * 1000
      count.refusedUntil = count.resetsAt
      return { retryAfter }
    } finally {
      count.syncing = null
    }
  }

  #sweep(now: number) {
    for (const [countKey, count] of this.#counts) {
      if (
        count.resetsAt <= now &&
        count.refusedUntil <= now &&
        count.unsynced === 0 &&
        !count.syncing
      )
        this.#counts.delete(countKey)
    }
  }
}

const sharedCounts = new SharedCounts()

/** A run's log counts after a batch (the columns `Run` returns from counting it). */
export type LogBatchCounts = {
  log_second_lines: number | string
  log_second_bytes: number | string
  log_bytes: number | string
  /** Seconds until the run's current second of counts is over. */
  second_left: number | string
}

/** Past max_log_bytes_per_run: refused, and the run's logs are marked cut. */
export class LogTotalReached extends Problem {
  constructor() {
    super(
      413,
      'Content Too Large',
      `This run has sent its ${QUOTAS.maxLogBytesPerRun} bytes of logs (max_log_bytes_per_run): further lines are refused and the run page says its logs were cut.`
    )
  }
}

/** The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers), in both their forms. */
export function rateLimitHeaders(limit: number, remaining: number, reset: number, window: number) {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(remaining),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': `${limit};w=${window}`,
    'RateLimit': `limit=${limit}, remaining=${remaining}, reset=${reset}`,
  }
}

/** Per-process counts of open connections (long-polls, live-log streams) by owner. */
export class OpenConnections {
  #open = new Map<string | number, number>()

  /** Takes a slot for the owner, or returns null when `limit` are already open. */
  enter(owner: string | number, limit: number): (() => void) | null {
    const open = this.#open.get(owner) ?? 0
    if (open >= limit) return null
    this.#open.set(owner, open + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.#open.get(owner) ?? 1) - 1
      if (left <= 0) this.#open.delete(owner)
      else this.#open.set(owner, left)
    }
  }
}
