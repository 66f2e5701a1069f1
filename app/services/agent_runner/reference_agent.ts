import { setTimeout as sleep } from 'node:timers/promises'
import GatehouseApi, { type ClaimedWork, type LogLine } from '#services/agent_runner/gatehouse_api'
import WorkProcess from '#services/agent_runner/work_process'

export type ReferenceAgentOptions = {
  command: string
  concurrency: number
  workTypes?: string[]
  project?: string
  waitSeconds: number
  graceMs: number
  /** Stop once a claim finds nothing (scripts and tests); otherwise long-poll forever. */
  exitWhenIdle: boolean
  logFlushMs?: number
}

type Reporter = (event: string, details: Record<string, unknown>) => void

const REPORT_FIELDS = [
  'summary',
  'error',
  'branch_name',
  'pr_url',
  'pr_number',
  'head_sha',
  'logs_url',
  'artifacts_url',
  'costs',
  'tests',
]

/**
 * The reference agent of spec §8 (`agent:run`): `concurrency` slots, each claiming work
 * (long-polling when idle), running the configured command per item, streaming its output,
 * heartbeating on the interval the server gave, honouring cancel requests and completing by
 * exit code. `shutdown()` (Ctrl-C) stops claiming and releases the items it holds.
 */
export default class ReferenceAgent {
  #stopping = false
  #held = new Map<number, WorkProcess>()
  #wakeUp = new AbortController()

  constructor(
    readonly api: GatehouseApi,
    readonly options: ReferenceAgentOptions,
    readonly report: Reporter = () => {}
  ) {}

  async run() {
    await Promise.all(Array.from({ length: this.options.concurrency }, (_, slot) => this.#slot(slot)))
  }

  async shutdown() {
    this.#stopping = true
    this.#wakeUp.abort()
    for (const process of this.#held.values()) await process.stop(this.options.graceMs)
  }

  async #slot(slot: number) {
    while (!this.#stopping) {
      const answer = await this.api.claim({
        work_types: this.options.workTypes,
        project: this.options.project,
        wait_seconds: this.options.exitWhenIdle ? 0 : this.options.waitSeconds,
      })
      if (this.#stopping && answer.kind === 'claimed') {
        await this.api.release(answer.work.run.id, 'agent shutting down')
        return
      }
      if (answer.kind === 'claimed') await this.#work(slot, answer.work)
      else if (answer.kind === 'idle' && this.options.exitWhenIdle) return
      else if (answer.kind === 'wait') {
        this.report('waiting', { slot, seconds: answer.seconds, reason: answer.reason })
        await sleep(answer.seconds * 1000, undefined, { signal: this.#wakeUp.signal }).catch(() => {})
      }
    }
  }

  async #work(slot: number, work: ClaimedWork) {
    const runId = work.run.id
    this.report('claimed', { slot, run: runId, item: work.work_item.id, title: work.work_item.title })

    const pending: LogLine[] = []
    let flushing = Promise.resolve(true)
    const flush = () => {
      if (pending.length === 0) return flushing
      const batch = pending.splice(0, 1000)
      flushing = flushing.then(() => this.api.appendLogs(runId, batch))
      return flushing
    }
    const process = new WorkProcess(this.options.command, work, (line) => {
      pending.push(line)
      if (pending.length >= 500) void flush()
    })
    this.#held.set(runId, process)

    let cancelled = false
    let lost = false
    const flusher = setInterval(() => void flush(), this.options.logFlushMs ?? 500)
    const beat = setInterval(async () => {
      const answer = await this.api.heartbeat(runId).catch(() => ({ stop: false, cancelled: false }))
      if (answer.stop && !cancelled && !lost) {
        cancelled = answer.cancelled
        lost = !answer.cancelled
        this.report(cancelled ? 'cancel requested' : 'run lost', { slot, run: runId })
        await process.stop(this.options.graceMs)
      }
    }, Math.max(1, work.run.heartbeat_interval_seconds) * 1000)

    const outcome = await process.finished
    clearInterval(beat)
    clearInterval(flusher)
    await flush()
    this.#held.delete(runId)

    if (this.#stopping && !cancelled && !lost) {
      await this.api.release(runId, 'agent shutting down')
      this.report('released', { slot, run: runId })
      return
    }
    if (cancelled || lost) return

    const succeeded = outcome.exitCode === 0
    const report = Object.fromEntries(
      Object.entries(outcome.report ?? {}).filter(([key]) => REPORT_FIELDS.includes(key))
    )
    await this.api.complete(runId, {
      ...report,
      outcome: succeeded ? 'succeeded' : 'failed',
      ...(succeeded
        ? {}
        : { error: report.error ?? `command exited with ${outcome.signal ?? outcome.exitCode}` }),
    })
    this.report(succeeded ? 'succeeded' : 'failed', { slot, run: runId, exit: outcome.exitCode })
  }
}
