import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { LogLine } from '#agent_runner/gatehouse_api'

export type ProcessOutcome = {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** Stopped by `stop()` or its timeout rather than ending by itself. */
  stopped: boolean
  timedOut: boolean
}

export type ProcessSpec = {
  /** The program and its arguments (no shell unless the program is one). */
  argv: string[]
  cwd?: string
  env: NodeJS.ProcessEnv
  stdin?: string
  /** Every output line, as a log line. */
  onLine: (line: LogLine) => void
  /** Every stdout line, as printed (for a preset's output reader). */
  onStdout?: (text: string) => void
  /** Stopped (SIGTERM, SIGKILL after `graceMs`) when it runs longer. */
  timeoutMs?: number
  graceMs?: number
}

/** Longer lines are cut: one line must never make a log batch too large for the API (413). */
const MAX_LINE_CHARS = 64 * 1024

/**
 * One child process of a run (a hook, the coding CLI, a git command): its output handed line
 * by line to `onLine`. It runs in its own process group, so that stopping it stops whatever it
 * started (a shell's children, a CLI's tools).
 */
export default class WorkProcess {
  #child: ChildProcess
  #lastStdoutLine = ''
  #exited = false
  #stopped = false
  #timedOut = false
  readonly finished: Promise<ProcessOutcome>

  constructor(readonly spec: ProcessSpec) {
    const [file, ...args] = spec.argv
    this.#child = spawn(file, args, {
      cwd: spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: spec.env,
    })
    this.#child.stdin!.on('error', () => {})
    this.#child.stdin!.end(spec.stdin ?? '')

    const lines = (stream: 'stdout' | 'stderr') => (output: string) => {
      // Postgres stores no NUL: the server refuses a batch holding one (422), losing its other lines.
      const text = output.replaceAll('\u0000', '\uFFFD')
      if (stream === 'stdout') {
        if (text.trim()) this.#lastStdoutLine = text
        spec.onStdout?.(text)
      }
      const message =
        text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… (cut)` : text
      spec.onLine({
        level: stream === 'stdout' ? 'info' : 'warn',
        stream,
        message,
        logged_at: new Date().toISOString(),
      })
    }
    createInterface({ input: this.#child.stdout!, crlfDelay: Infinity }).on('line', lines('stdout'))
    createInterface({ input: this.#child.stderr!, crlfDelay: Infinity }).on('line', lines('stderr'))

    const timer = spec.timeoutMs
      ? setTimeout(() => {
          this.#timedOut = true
          void this.stop(spec.graceMs ?? 10_000)
        }, spec.timeoutMs)
      : undefined

    this.finished = new Promise((resolve) => {
      const outcome = (exitCode: number | null, signal: NodeJS.Signals | null) => ({
        exitCode,
        signal,
        stopped: this.#stopped,
        timedOut: this.#timedOut,
      })
      // 'close' comes after the output streams ended, so every line was handed over.
      this.#child.once('close', (exitCode, signal) => {
        this.#exited = true
        clearTimeout(timer)
        resolve(outcome(exitCode, signal))
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
        clearTimeout(timer)
        spec.onLine({ level: 'error', message: `cannot start ${file}: ${error.message}` })
        resolve(outcome(127, null))
      })
    })
  }

  /** Until the process has exited and its output ended. */
  get running() {
    return !this.#exited
  }

  /** The last line it printed on stdout. */
  get lastLine() {
    return this.#lastStdoutLine.slice(0, 500)
  }

  /** SIGTERM to the process group, then SIGKILL when it is still there after the grace period. */
  async stop(graceMs: number) {
    if (this.#exited) return this.finished
    this.#stopped = true
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
