import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { ClaimedWork, LogLine } from '#services/agent_runner/gatehouse_api'

export type WorkOutcome = {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The last stdout line, when it is a JSON object: the command's report (pr_url, costs, tests…). */
  report: Record<string, unknown> | null
}

/**
 * The configured shell command run for one claimed item: the item in environment variables
 * and as JSON on stdin, its output handed line by line to `onLine`.
 */
export default class WorkProcess {
  #child: ChildProcess
  #lastStdoutLine = ''
  readonly finished: Promise<WorkOutcome>

  constructor(command: string, work: ClaimedWork, onLine: (line: LogLine) => void) {
    const item = work.work_item
    this.#child = spawn('sh', ['-c', command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GATEHOUSE_RUN_ID: String(work.run.id),
        GATEHOUSE_WORK_ITEM_ID: String(item.id),
        GATEHOUSE_WORK_ITEM_TITLE: item.title,
        GATEHOUSE_WORK_TYPE: item.work_type,
        GATEHOUSE_PAYLOAD: JSON.stringify(item.payload ?? {}),
        GATEHOUSE_PROJECT: item.project.slug,
        GATEHOUSE_REPO: item.project.repo_full_name,
        GATEHOUSE_BRANCH: item.project.repo_default_branch,
        GATEHOUSE_ATTEMPT: String(work.run.attempt),
      },
    })
    this.#child.stdin!.on('error', () => {})
    this.#child.stdin!.end(JSON.stringify(item))

    createInterface({ input: this.#child.stdout! }).on('line', (message) => {
      if (message.trim()) this.#lastStdoutLine = message
      onLine({ level: 'info', stream: 'stdout', message, logged_at: new Date().toISOString() })
    })
    createInterface({ input: this.#child.stderr! }).on('line', (message) => {
      onLine({ level: 'warn', stream: 'stderr', message, logged_at: new Date().toISOString() })
    })

    this.finished = new Promise((resolve) => {
      this.#child.once('close', (exitCode, signal) =>
        resolve({ exitCode, signal, report: parseReport(this.#lastStdoutLine) })
      )
      this.#child.once('error', () => resolve({ exitCode: 127, signal: null, report: null }))
    })
  }

  /** SIGTERM, then SIGKILL when it has not exited after the grace period. */
  async stop(graceMs: number) {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return this.finished
    this.#child.kill('SIGTERM')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs)
    const outcome = await this.finished
    clearTimeout(timer)
    return outcome
  }
}

function parseReport(line: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(line)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null
  } catch {
    return null
  }
}
