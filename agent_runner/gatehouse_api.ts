import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

/** What an earlier attempt left: its branch and pull request, to push the fixes to. */
export type ContinueFrom = {
  branch_name?: string | null
  pr_number?: number | null
  pr_url?: string | null
  head_sha?: string | null
}

/**
 * A claim answer. `feedback` (earlier attempts' verdicts, with `continue_from` inside it),
 * `conversation` (answered questions) come with a retried item; `continue_from` is also read
 * at the top level or on the item.
 */
export type ClaimedWork = {
  run: { id: number; attempt: number; lease_expires_at: string; heartbeat_interval_seconds: number }
  work_item: {
    id: number
    project: { slug: string; repo_full_name: string; repo_default_branch: string }
    work_type: string
    title: string
    payload: unknown
    priority: number
    feedback?: unknown
    conversation?: unknown
    continue_from?: ContinueFrom | null
  }
  feedback?: unknown
  conversation?: unknown
  continue_from?: ContinueFrom | null
}

export type ClaimAnswer =
  | { kind: 'claimed'; work: ClaimedWork }
  | { kind: 'idle' }
  | { kind: 'wait'; seconds: number; reason: string }
  | { kind: 'draining' }

export type AgentProfile = {
  agent: { id: number; key: string; name: string; enabled: boolean }
  limits: { max_concurrency: number; running: number; available: number }
  running_runs: { id: number; work_item: { id: number; title: string } }[]
}

export type LogLine = {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  stream?: 'stdout' | 'stderr'
  logged_at?: string
}

/** `Gatehouse-Run-State`, on every answer about a run. */
export type RunState = 'running' | 'cancel_requested' | 'finished'

export type LogsAnswer =
  { kind: 'stored'; lastSeq: number } | { kind: 'gap'; nextSeq: number } | { kind: 'closed' }

/** An answer the agent cannot act on (4xx other than the ones the protocol expects). */
export class GatehouseApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string
  ) {
    super(`Gatehouse answered ${status}: ${describeProblem(body)}`)
  }

  /** The fields a 422 named (problem+json `errors`). */
  get invalidFields(): string[] {
    try {
      const problem = JSON.parse(this.body) as { errors?: { field: string }[] }
      return (problem.errors ?? []).map((error) => error.field.split('.')[0])
    } catch {
      return []
    }
  }
}

/** 408, 429 outside claims, 5xx: worth asking again. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504])
const MAX_BACKOFF_MS = 30_000

type SendOptions = {
  /** Statuses the caller handles itself. */
  passThrough?: number[]
  /** Tries after the first; Infinity keeps trying until `signal` aborts. */
  retries?: number
  signal?: AbortSignal
  /** Sends an Idempotency-Key, the same on every retry of this call. */
  idempotent?: boolean
}

/**
 * The agent API of spec §5 as a client. Transient failures (network, 5xx) are retried with
 * exponential backoff; the protocol's own answers (204, 409, 429, 503 on claims) are returned.
 * Claims retry for as long as the agent runs (a restarting server is no reason to stop); the
 * calls about a run give up after about a minute (the run's lease then expires server-side).
 */
export default class GatehouseApi {
  /** Told the run's state whenever an answer about a run carries it. */
  onRunState: (runId: number, state: RunState) => void = () => {}

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly options: {
      retries?: number
      retryBaseMs?: number
      onRetry?: (reason: string, delayMs: number) => void
    } = {}
  ) {}

  /** GET /api/v1/agent: who the token is, its limit and what it runs. */
  async agent(signal?: AbortSignal) {
    const response = await this.#send('GET', '/api/v1/agent', undefined, { signal })
    return (await response.json()) as AgentProfile
  }

  async claim(
    request: { work_types?: string[]; project?: string; wait_seconds?: number },
    signal?: AbortSignal
  ): Promise<ClaimAnswer> {
    const response = await this.#send('POST', '/api/v1/claims', request, {
      passThrough: [409, 429, 503],
      retries: Infinity,
      signal,
      idempotent: true,
    })
    if (response.status === 201)
      return { kind: 'claimed', work: (await response.json()) as ClaimedWork }
    if (response.status === 204) return { kind: 'idle' }
    if (response.status === 409) {
      const problem = (await response.json().catch(() => ({}))) as { code?: string }
      if (problem.code === 'draining') return { kind: 'draining' }
      // The same claim is still being answered (its Idempotency-Key is in use): ask again soon.
      return { kind: 'wait', seconds: 1, reason: 'claim still being answered' }
    }
    const seconds = Number(response.headers.get('retry-after') ?? '5')
    const reason = response.status === 429 ? 'at concurrency limit' : 'agents are disabled'
    await response.body?.cancel()
    return { kind: 'wait', seconds: Number.isFinite(seconds) ? seconds : 5, reason }
  }

  /** `stop` when the run is no longer running (409) or a cancel was requested. */
  async heartbeat(
    runId: number,
    progress?: string
  ): Promise<{ stop: boolean; cancelled: boolean }> {
    const response = await this.#send(
      'POST',
      `/api/v1/runs/${runId}/heartbeat`,
      { progress },
      { passThrough: [409] }
    )
    if (response.status === 409) {
      await response.body?.cancel()
      return { stop: true, cancelled: false }
    }
    const body = (await response.json()) as { cancel_requested: boolean }
    return { stop: body.cancel_requested, cancelled: body.cancel_requested }
  }

  /**
   * Sends lines numbered from `firstSeq`. The server stores only the lines it lacks, so a batch
   * retried after a lost answer is stored once; a `gap` answer names the seq to resume from;
   * `closed` means the run has finished and takes no more lines.
   */
  async appendLogs(runId: number, firstSeq: number, lines: LogLine[]): Promise<LogsAnswer> {
    const response = await this.#send(
      'POST',
      `/api/v1/runs/${runId}/logs`,
      { first_seq: firstSeq, lines },
      { passThrough: [409] }
    )
    const body = (await response.json().catch(() => ({}))) as {
      last_seq?: number
      next_seq?: number
    }
    if (response.status !== 409) return { kind: 'stored', lastSeq: body.last_seq ?? 0 }
    if (typeof body.next_seq === 'number') return { kind: 'gap', nextSeq: body.next_seq }
    return { kind: 'closed' }
  }

  /** False when the run already finished differently (409). */
  async complete(runId: number, report: Record<string, unknown>) {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/complete`, report, {
      passThrough: [409],
      idempotent: true,
    })
    await response.body?.cancel()
    return response.status !== 409
  }

  /** Asks a person instead of completing (the run ends `needs_input`); false when it had already ended. */
  async ask(
    runId: number,
    asked: { question: string; choices?: unknown; context?: unknown }
  ): Promise<boolean> {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/questions`, asked, {
      passThrough: [409],
    })
    await response.body?.cancel()
    return response.status !== 409
  }

  async release(runId: number, reason: string) {
    const response = await this.#send(
      'POST',
      `/api/v1/runs/${runId}/release`,
      { reason },
      { passThrough: [409], idempotent: true }
    )
    await response.body?.cancel()
  }

  #noticeRunState(path: string, response: Response) {
    const runId = RUN_PATH.exec(path)?.[1]
    const state = response.headers.get('gatehouse-run-state')
    if (runId && state && RUN_STATES.has(state)) this.onRunState(Number(runId), state as RunState)
  }

  async #send(method: string, path: string, body: unknown, options: SendOptions) {
    const retries = options.retries ?? this.options.retries ?? 7
    const base = this.options.retryBaseMs ?? 500
    // One key for the call: a retry after a lost answer gets the first answer back.
    const idempotencyKey = options.idempotent ? randomUUID() : undefined
    for (let attempt = 0; ; attempt++) {
      let failure: string
      // The caller's signal may cancel the wait for an answer, never the reading of one: a
      // claim answered but dropped half-read would leave a run nobody works on.
      const request = new AbortController()
      const cancelWait = () => request.abort(options.signal?.reason)
      if (options.signal?.aborted) throw options.signal.reason
      options.signal?.addEventListener('abort', cancelWait, { once: true })
      try {
        const response = await fetch(new URL(path, this.baseUrl), {
          method,
          headers: {
            'authorization': `Bearer ${this.token}`,
            'content-type': 'application/json',
            'accept': 'application/json',
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
          signal: request.signal,
        })
        options.signal?.removeEventListener('abort', cancelWait)
        this.#noticeRunState(path, response)
        if (response.ok || isExpected(response, options.passThrough)) return response
        if (!TRANSIENT.has(response.status) || attempt >= retries) {
          throw new GatehouseApiError(response.status, await response.text())
        }
        failure = `${method} ${path} answered ${response.status}`
        await response.body?.cancel()
      } catch (error) {
        options.signal?.removeEventListener('abort', cancelWait)
        if (error instanceof GatehouseApiError || options.signal?.aborted || attempt >= retries)
          throw error
        const cause = (error as Error).cause as Error | undefined
        failure = `${method} ${path} failed: ${cause?.message ?? (error as Error).message}`
      }
      const delay = Math.min(base * 2 ** attempt, MAX_BACKOFF_MS)
      this.options.onRetry?.(failure, delay)
      await sleep(delay, undefined, { signal: options.signal })
    }
  }
}

const RUN_PATH = /^\/api\/v1\/runs\/(\d+)(\/|$)/
const RUN_STATES = new Set(['running', 'cancel_requested', 'finished'])

/**
 * The protocol's own answers the caller handles. A 503 without Retry-After comes from a proxy
 * or a restarting server, not from the kill switch: that one is retried like any 5xx.
 */
function isExpected(response: Response, passThrough: number[] = []) {
  if (!passThrough.includes(response.status)) return false
  return response.status !== 503 || response.headers.has('retry-after')
}

function describeProblem(body: string) {
  try {
    const problem = JSON.parse(body) as {
      detail?: string
      title?: string
      errors?: { field: string; message: string }[]
    }
    const fields = (problem.errors ?? [])
      .map((error) => `${error.field}: ${error.message}`)
      .join('; ')
    return [problem.detail ?? problem.title, fields].filter(Boolean).join(' ') || body.slice(0, 300)
  } catch {
    return body.slice(0, 300)
  }
}
