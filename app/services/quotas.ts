import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import db from '@adonisjs/lucid/services/db'
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
 * @adonisjs/limiter's database store (every process counts the same requests), except the
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

  /** A batch of log lines for a run: per-second rates, then the run's total. */
  static async logBatch(runId: number, lines: number, bytes: number) {
    await this.#consume(
      `run_log_lines:${runId}`,
      QUOTAS.logLinesPerSecond,
      1,
      lines,
      'log lines per second for this run'
    )
    await this.#consume(
      `run_log_bytes:${runId}`,
      QUOTAS.logBytesPerSecond,
      1,
      bytes,
      'log bytes per second for this run'
    )
    const { rows } = await db.rawQuery(
      `update runs set log_bytes = log_bytes + ? where id = ? and log_bytes + ? <= ? returning log_bytes`,
      [bytes, runId, bytes, QUOTAS.maxLogBytesPerRun]
    )
    if (rows.length > 0) return
    await db.rawQuery(`update runs set logs_cut_at = coalesce(logs_cut_at, now()) where id = ?`, [
      runId,
    ])
    throw new Problem(
      413,
      'Content Too Large',
      `This run has sent its ${QUOTAS.maxLogBytesPerRun} bytes of logs (max_log_bytes_per_run): further lines are refused and the run page says its logs were cut.`
    )
  }

  static async #consume(
    key: string,
    limit: number,
    windowSeconds: number,
    amount: number,
    what: string
  ) {
    const throttle = limiter.use({ requests: limit, duration: windowSeconds })
    try {
      await throttle.consume(key, amount)
    } catch (error) {
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
      const retryAfter = Math.max(1, Math.ceil(error.response.availableIn))
      throw new Problem(429, 'Too Many Requests', `Quota reached: at most ${limit} ${what}.`, {
        ...rateLimitHeaders(limit, 0, retryAfter, windowSeconds),
        'Retry-After': String(retryAfter),
      })
    }
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
