import { setTimeout as sleep } from 'node:timers/promises'
import type GatehouseApi from '#agent_runner/gatehouse_api'
import { GatehouseApiError, type ClaimedWork } from '#agent_runner/gatehouse_api'
import RunLogBatcher from '#agent_runner/run_log_batcher'
import ItemJob, { type ItemJobOptions, type WorkOutcome } from '#agent_runner/item_job'

export type ReferenceAgentOptions = {
  /** How each claimed item is worked on: the preset, the workspaces, the git token… */
  job: Omit<ItemJobOptions, 'graceMs'>
  concurrency: number
  workTypes?: string[]
  project?: string
  waitSeconds: number
  graceMs: number
  /** Stop once a claim finds nothing (scripts and tests); otherwise long-poll forever. */
  exitWhenIdle: boolean
  logFlushMs?: number
}

export type Reporter = (event: string, details: Record<string, unknown>) => void

/** What the command's final JSON line may report (spec §5 complete). */
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
 * exit code. `shutdown()` (Ctrl-C) stops claiming, stops the commands and releases their
 * items. An answer no retry can fix (bad token, agent disabled) stops the agent the same way,
 * and `run()` then rejects with it.
 */
export default class ReferenceAgent {
  #stopping = false
  #fatal: Error | null = null
  #held = new Map<number, ItemJob>()
  /** Runs whose command shutdown stopped: given back unworked, not failed. */
  #releasing = new Set<number>()
  #stop = new AbortController()
  /** Why a held run's command was stopped early: a cancel, or the run ended server-side. */
  #stopped = new Map<number, 'cancelled' | 'lost'>()

  constructor(
    readonly api: GatehouseApi,
    readonly options: ReferenceAgentOptions,
    readonly report: Reporter = () => {}
  ) {
    // Any answer about a run may say it was cancelled or has ended, not only the heartbeat's.
    api.onRunState = (runId, state) => {
      if (state === 'cancel_requested') this.#stopRun(runId, 'cancelled')
      else if (state === 'finished') this.#stopRun(runId, 'lost')
    }
  }

  /** Stops a held run's command that is still running, once. */
  #stopRun(runId: number, why: 'cancelled' | 'lost') {
    const process = this.#held.get(runId)
    if (!process?.running || this.#stopped.has(runId)) return
    this.#stopped.set(runId, why)
    this.report(why === 'cancelled' ? 'cancel requested' : 'run lost', { run: runId })
    void process.stop(this.options.graceMs)
  }

  async run() {
    let slots = this.options.concurrency
    try {
      const profile = await this.api.agent(this.#stop.signal)
      const limit = profile.limits.max_concurrency
      // More slots than the server allows would only collect 429s.
      if (slots > limit) {
        this.report('concurrency capped', { requested: slots, max_concurrency: limit })
        slots = limit
      }
      this.report('agent', {
        key: profile.agent.key,
        max_concurrency: limit,
        already_running: profile.running_runs.map((run) => run.id),
      })
    } catch (error) {
      if (this.#stopping) return
      throw error
    }
    await Promise.all(Array.from({ length: slots }, (_, slot) => this.#slot(slot)))
    if (this.#fatal) throw this.#fatal
  }

  get heldRuns() {
    return [...this.#held.keys()]
  }

  shutdown() {
    if (this.#stopping) return
    this.#stopping = true
    this.#stop.abort()
    for (const [runId, process] of this.#held) {
      // A command that already finished is being reported: its work is done, not given back.
      if (!process.running) continue
      this.#releasing.add(runId)
      void process.stop(this.options.graceMs)
    }
  }

  async #slot(slot: number) {
    while (!this.#stopping) {
      let answer
      try {
        answer = await this.api.claim(
          {
            work_types: this.options.workTypes,
            project: this.options.project,
            wait_seconds: this.options.exitWhenIdle ? 0 : this.options.waitSeconds,
          },
          this.#stop.signal
        )
      } catch (error) {
        if (this.#stopping) return
        // 401 bad token, 403 agent disabled, 422 bad filters: asking again will not help.
        this.#fatal = error as Error
        this.shutdown()
        return
      }
      if (answer.kind === 'claimed') {
        await this.#work(slot, answer.work)
      } else if (answer.kind === 'idle') {
        if (this.options.exitWhenIdle) return
      } else if (answer.kind === 'draining') {
        // Drained (POST /api/v1/agent/drain or agent:disable --drain): this slot is done.
        this.report('draining', { slot })
        return
      } else {
        this.report('waiting', { slot, seconds: answer.seconds, reason: answer.reason })
        await sleep(answer.seconds * 1000, undefined, { signal: this.#stop.signal }).catch(() => {})
      }
    }
  }

  async #work(slot: number, work: ClaimedWork) {
    const runId = work.run.id
    this.report('claimed', {
      slot,
      run: runId,
      item: work.work_item.id,
      title: work.work_item.title,
    })

    const logs = new RunLogBatcher(
      this.api,
      runId,
      (lines, error) => this.report('logs lost', { run: runId, lines, error: error.message }),
      this.options.logFlushMs
    )
    const process = new ItemJob(
      work,
      { ...this.options.job, graceMs: this.options.graceMs },
      (line) => logs.push(line)
    )
    this.#held.set(runId, process)
    if (this.#stopping) {
      // Shutdown began while this claim was answered.
      this.#releasing.add(runId)
      void process.stop(this.options.graceMs)
    }

    const beating = new AbortController()
    const heartbeats = (async () => {
      const intervalMs = Math.max(1, work.run.heartbeat_interval_seconds) * 1000
      while (true) {
        try {
          await sleep(intervalMs, undefined, { signal: beating.signal })
        } catch {
          return
        }
        try {
          const answer = await this.api.heartbeat(runId, process.lastLine || undefined)
          if (answer.stop) {
            this.#stopRun(runId, answer.cancelled ? 'cancelled' : 'lost')
            return
          }
        } catch (error) {
          // The lease may still hold until the next beat; the server decides when it expires.
          this.report('heartbeat failed', { run: runId, error: (error as Error).message })
        }
      }
    })()

    const outcome = await process.finished
    beating.abort()
    await heartbeats
    try {
      await this.#settle(slot, runId, outcome, logs, this.#stopped.get(runId) ?? null)
    } catch (error) {
      // One run's trouble never stops the agent: its lease expires and the server retries it.
      this.report('error', { slot, run: runId, error: (error as Error).message })
    } finally {
      await logs.close()
      this.#held.delete(runId)
      this.#releasing.delete(runId)
      this.#stopped.delete(runId)
    }
  }

  async #settle(
    slot: number,
    runId: number,
    outcome: WorkOutcome,
    logs: RunLogBatcher,
    stopped: 'cancelled' | 'lost' | null
  ) {
    if (stopped === 'lost') return
    await logs.flush()
    if (stopped === 'cancelled') {
      // The server ends the run as cancelled whatever the outcome; reporting frees the slot now.
      await this.api.complete(runId, { outcome: 'failed', error: 'cancelled on request' })
      this.report('cancelled', { slot, run: runId })
      return
    }
    if (this.#releasing.has(runId)) {
      await this.api.release(runId, 'agent shutting down')
      this.report('released', { slot, run: runId })
      return
    }

    const asked = outcome.report?.question
    if (outcome.exitCode === 0 && typeof asked === 'string' && asked.trim()) {
      // A last line {"question": …} asks a person instead of completing: the item waits for the answer.
      const accepted = await this.api.ask(runId, {
        question: asked,
        ...(Array.isArray(outcome.report!.choices) ? { choices: outcome.report!.choices } : {}),
        ...(isObject(outcome.report!.context) ? { context: outcome.report!.context } : {}),
      })
      this.report(accepted ? 'asked' : 'already finished', { slot, run: runId, question: asked })
      return
    }

    const succeeded = outcome.exitCode === 0
    let report = Object.fromEntries(
      Object.entries(outcome.report ?? {}).filter(([key]) => REPORT_FIELDS.includes(key))
    )
    const completion = () => ({
      ...report,
      outcome: succeeded ? 'succeeded' : 'failed',
      ...(succeeded
        ? {}
        : { error: report.error ?? `command exited with ${outcome.signal ?? outcome.exitCode}` }),
    })
    let accepted: boolean
    try {
      accepted = await this.api.complete(runId, completion())
    } catch (error) {
      if (!(error instanceof GatehouseApiError && error.status === 422)) throw error
      // A malformed report must not strand the run: say so in its log, complete without it.
      const rejected = error.invalidFields
      logs.push({
        level: 'error',
        message: `agent:run: the command's report was rejected: ${error.message}`,
      })
      await logs.flush()
      report = Object.fromEntries(Object.entries(report).filter(([key]) => !rejected.includes(key)))
      accepted = await this.api.complete(runId, completion())
    }
    const event = accepted ? (succeeded ? 'succeeded' : 'failed') : 'already finished'
    this.report(event, { slot, run: runId, exit: outcome.exitCode ?? outcome.signal })
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
