import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ClaimedWork, LogLine } from '#agent_runner/gatehouse_api'

export type WorkOutcome = {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The last stdout line, when it is a JSON object: the command's report (pr_url, costs, tests…). */
  report: Record<string, unknown> | null
}

/** Longer lines are cut: one line must never make a log batch too large for the API (413). */
const MAX_LINE_CHARS = 64 * 1024

/**
 * The configured shell command run for one claimed item: the item in environment variables
 * and as JSON on stdin, its output handed line by line to `onLine`. The command runs in its
 * own process group, so that stopping it stops whatever it started (the shell's children).
 */
export default class WorkProcess {
  #child: ChildProcess
  #lastStdoutLine = ''
  #exited = false
  readonly finished: Promise<WorkOutcome>

  constructor(command: string, work: ClaimedWork, onLine: (line: LogLine) => void) {
    const item = work.work_item
    const feedbackFile = work.feedback ? writeFeedbackFile(work.feedback) : null
    this.#child = spawn('sh', ['-c', command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: {
        ...process.env,
        // The runner speaks to Gatehouse; the command does not need the agent's credential.
        GATEHOUSE_TOKEN: undefined,
        GATEHOUSE_RUN_ID: String(work.run.id),
        GATEHOUSE_ATTEMPT: String(work.run.attempt),
        GATEHOUSE_WORK_ITEM_ID: String(item.id),
        GATEHOUSE_WORK_ITEM_TITLE: item.title,
        GATEHOUSE_WORK_TYPE: item.work_type,
        GATEHOUSE_PAYLOAD: JSON.stringify(item.payload ?? {}),
        GATEHOUSE_PROJECT: item.project.slug,
        GATEHOUSE_REPO: item.project.repo_full_name,
        GATEHOUSE_BRANCH: item.project.repo_default_branch,
        // What earlier attempts were told (failed checks, review comments, the PR to continue).
        GATEHOUSE_FEEDBACK_FILE: feedbackFile ?? undefined,
      },
    })
    this.#child.stdin!.on('error', () => {})
    this.#child.stdin!.end(JSON.stringify({ ...item, feedback: work.feedback ?? null }) + '\n')

    const lines = (stream: 'stdout' | 'stderr') => (output: string) => {
      // Postgres stores no NUL: the server refuses a batch holding one (422), losing its other lines.
      const text = output.replaceAll('\u0000', '\uFFFD')
      if (stream === 'stdout' && text.trim()) this.#lastStdoutLine = text
      const message =
        text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… (cut)` : text
      onLine({
        level: stream === 'stdout' ? 'info' : 'warn',
        stream,
        message,
        logged_at: new Date().toISOString(),
      })
    }
    createInterface({ input: this.#child.stdout!, crlfDelay: Infinity }).on('line', lines('stdout'))
    createInterface({ input: this.#child.stderr!, crlfDelay: Infinity }).on('line', lines('stderr'))

    this.finished = new Promise((resolve) => {
      // 'close' comes after the output streams ended, so every line was handed over.
      this.#child.once('close', (exitCode, signal) => {
        this.#exited = true
        if (feedbackFile) rmSync(dirname(feedbackFile), { recursive: true, force: true })
        resolve({ exitCode, signal, report: parseReport(this.#lastStdoutLine) })
      })
      // A background process the command left behind may hold its output open: stop waiting.
      this.#child.once('exit', () => {
        setTimeout(() => {
          this.#child.stdout?.destroy()
          this.#child.stderr?.destroy()
        }, 5000).unref()
      })
      this.#child.once('error', (error) => {
        this.#exited = true
        onLine({ level: 'error', message: `cannot start the command: ${error.message}` })
        resolve({ exitCode: 127, signal: null, report: null })
      })
    })
  }

  /** Until the command has exited and its output ended. */
  get running() {
    return !this.#exited
  }

  /** The last line the command printed on stdout: its progress, as far as anyone can tell. */
  get lastLine() {
    return this.#lastStdoutLine.slice(0, 500)
  }

  /** SIGTERM to the command's process group, then SIGKILL when it is still there after the grace period. */
  async stop(graceMs: number) {
    if (this.#exited) return this.finished
    this.#signal('SIGTERM')
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs)
    const outcome = await this.finished
    clearTimeout(timer)
    return outcome
  }

  #signal(signal: NodeJS.Signals) {
    if (!this.#child.pid) return
    try {
      process.kill(-this.#child.pid, signal)
    } catch {
      // The group is already gone.
    }
  }
}

/** The feedback as a JSON file of its own, readable only by this user. */
function writeFeedbackFile(feedback: unknown) {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-feedback-')), 'feedback.json')
  writeFileSync(file, JSON.stringify(feedback, null, 2), { mode: 0o600 })
  return file
}

function parseReport(line: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(line)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null
  } catch {
    return null
  }
}
