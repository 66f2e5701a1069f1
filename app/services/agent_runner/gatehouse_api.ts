import { setTimeout as sleep } from 'node:timers/promises'

export type ClaimedWork = {
  run: { id: number; attempt: number; lease_expires_at: string; heartbeat_interval_seconds: number }
  work_item: {
    id: number
    project: { slug: string; repo_full_name: string; repo_default_branch: string }
    work_type: string
    title: string
    payload: unknown
    priority: number
  }
}

export type ClaimAnswer =
  | { kind: 'claimed'; work: ClaimedWork }
  | { kind: 'idle' }
  | { kind: 'wait'; seconds: number; reason: string }

export type LogLine = {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  stream?: 'stdout' | 'stderr'
  logged_at?: string
}

/** An answer the agent cannot act on (4xx other than the ones the protocol expects). */
export class GatehouseApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string
  ) {
    super(`Gatehouse answered ${status}: ${body.slice(0, 300)}`)
  }
}

const TRANSIENT = new Set([408, 500, 502, 503, 504])

/**
 * The agent API of spec §5 as a client. Transient failures (network, 5xx) are retried with
 * exponential backoff; the protocol's own answers (204, 409, 429, 503 on claims) are returned.
 */
export default class GatehouseApi {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly options: { retries?: number; retryBaseMs?: number } = {}
  ) {}

  async claim(request: { work_types?: string[]; project?: string; wait_seconds?: number }): Promise<ClaimAnswer> {
    const response = await this.#send('POST', '/api/v1/claims', request, { passThrough: [429, 503] })
    if (response.status === 201) return { kind: 'claimed', work: (await response.json()) as ClaimedWork }
    if (response.status === 204) return { kind: 'idle' }
    const seconds = Number(response.headers.get('retry-after') ?? '5')
    const reason = response.status === 429 ? 'at concurrency limit' : 'agents are disabled'
    await response.body?.cancel()
    return { kind: 'wait', seconds: Number.isFinite(seconds) ? seconds : 5, reason }
  }

  /** `stop` when the run is no longer running (409) or a cancel was requested. */
  async heartbeat(runId: number, progress?: string): Promise<{ stop: boolean; cancelled: boolean }> {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/heartbeat`, { progress }, { passThrough: [409] })
    if (response.status === 409) {
      await response.body?.cancel()
      return { stop: true, cancelled: false }
    }
    const body = (await response.json()) as { cancel_requested: boolean }
    return { stop: body.cancel_requested, cancelled: body.cancel_requested }
  }

  async appendLogs(runId: number, lines: LogLine[]) {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/logs`, { lines }, { passThrough: [409] })
    await response.body?.cancel()
    return response.status !== 409
  }

  async complete(runId: number, report: Record<string, unknown>) {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/complete`, report, { passThrough: [409] })
    await response.body?.cancel()
    return response.status !== 409
  }

  async release(runId: number, reason: string) {
    const response = await this.#send('POST', `/api/v1/runs/${runId}/release`, { reason }, { passThrough: [409] })
    await response.body?.cancel()
  }

  async #send(method: string, path: string, body: unknown, { passThrough }: { passThrough: number[] }) {
    const retries = this.options.retries ?? 5
    const base = this.options.retryBaseMs ?? 500
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined
      try {
        response = await fetch(new URL(path, this.baseUrl), {
          method,
          headers: {
            'authorization': `Bearer ${this.token}`,
            'content-type': 'application/json',
            'accept': 'application/json',
          },
          body: JSON.stringify(body ?? {}),
        })
      } catch (error) {
        if (attempt >= retries) throw error
      }
      if (response) {
        if (response.ok || passThrough.includes(response.status)) return response
        if (!TRANSIENT.has(response.status) || attempt >= retries) {
          throw new GatehouseApiError(response.status, await response.text())
        }
        await response.body?.cancel()
      }
      await sleep(Math.min(base * 2 ** attempt, 10_000))
    }
  }
}
