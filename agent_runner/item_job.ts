import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentPreset, Hook, HookName } from '#agent_runner/agent_preset'
import CliOutput, { type CliReading } from '#agent_runner/cli_output'
import { childEnvironment } from '#agent_runner/child_environment'
import type { ClaimedWork, LogLine } from '#agent_runner/gatehouse_api'
import PullRequests from '#agent_runner/pull_requests'
import WorkProcess, { type ProcessOutcome, type ProcessSpec } from '#agent_runner/work_process'
import { defaultPromptTemplate, renderPrompt } from '#agent_runner/work_prompt'
import type Workspaces from '#agent_runner/workspaces'
import type { Worktree } from '#agent_runner/workspaces'

export type WorkOutcome = {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** What to complete the run with (spec §5 complete fields). */
  report: Record<string, unknown> | null
}

export type ItemJobOptions = {
  preset: AgentPreset
  /** `--command`: the `{command}` of a preset (the `shell` preset runs it). */
  command?: string
  workspaces: Workspaces
  /** Pushes and opens pull requests; never reaches the CLI's environment or a log line. */
  gitToken?: string
  githubApiUrl: string
  /** Gatehouse's URL, to link the run from the pull request. */
  serverUrl: string
  keepFailed: boolean
  maxRunSeconds?: number
  testCommand?: string
  promptTemplate?: string
  /** Flags' hooks, over the preset's. */
  hooks: Partial<Record<HookName, Hook>>
  allowEnv: string[]
  graceMs: number
  maxLogBytes: number
  /** Values never sent in a log line (the agent's token, the git token). */
  secrets: string[]
  gitAuthor: { name: string; email: string }
}

const TEST_TIMEOUT_SECONDS = 1800

class Stopped extends Error {}

/** A step that failed: the run completes as failed with this message. */
class JobFailure extends Error {}

/**
 * One claimed item, worked on the way its preset says. Without a workspace (the `shell`
 * preset): the command runs in the runner's directory and reports by exit code and its last
 * JSON line, as `agent:run` always did. With one: a worktree of the repository's mirror on the
 * item's branch, the hooks, the prompt, the coding CLI, the tests, then commit, push and the
 * pull request; the outcome carries branch, PR, head SHA, costs and tests.
 */
export default class ItemJob {
  readonly finished: Promise<WorkOutcome>
  #current: WorkProcess | null = null
  #stopping = false
  #timedOut = false
  #done = false
  #lastLine = ''
  #loggedBytes = 0
  #cut = false
  #graceMs: number

  constructor(
    readonly work: ClaimedWork,
    readonly options: ItemJobOptions,
    readonly onLine: (line: LogLine) => void
  ) {
    this.#graceMs = options.graceMs
    const timer = options.maxRunSeconds
      ? setTimeout(() => {
          this.#timedOut = true
          void this.stop(this.#graceMs)
        }, options.maxRunSeconds * 1000)
      : undefined
    this.finished = this.#run().finally(() => {
      clearTimeout(timer)
      this.#done = true
    })
  }

  get running() {
    return !this.#done
  }

  /** The last line the CLI printed on stdout: its progress, as far as anyone can tell. */
  get lastLine() {
    return this.#lastLine.slice(0, 500)
  }

  async stop(graceMs: number) {
    this.#stopping = true
    this.#graceMs = graceMs
    await this.#current?.stop(graceMs)
    return this.finished
  }

  get #item() {
    return this.work.work_item
  }

  get #feedback() {
    return this.work.feedback ?? this.#item.feedback
  }

  get #conversation() {
    return this.work.conversation ?? this.#item.conversation
  }

  get #continueFrom() {
    return this.work.continue_from ?? this.#item.continue_from ?? null
  }

  async #run(): Promise<WorkOutcome> {
    const runDir = join(this.options.workspaces.root, 'runs', `run-${this.work.run.id}`)
    if (!this.options.preset.workspace) {
      try {
        return await this.#runInPlace(runDir)
      } finally {
        rmSync(runDir, { recursive: true, force: true })
      }
    }
    let worktree: Worktree | null = null
    let outcome: WorkOutcome
    try {
      worktree = await this.#prepare()
      outcome = await this.#runInWorktree(worktree)
    } catch (error) {
      outcome = this.#failure(error)
    }
    if (worktree) await this.#cleanUp(worktree, outcome)
    else if (!(outcome.exitCode !== 0 && this.options.keepFailed)) {
      rmSync(runDir, { recursive: true, force: true })
    }
    return outcome
  }

  #failure(error: unknown): WorkOutcome {
    if (error instanceof Stopped || this.#stopping) {
      if (this.#timedOut) {
        const reason = `stopped after --max-run-seconds=${this.options.maxRunSeconds}`
        this.#log('error', `agent:run: ${reason}`)
        return { exitCode: 1, signal: null, report: { error: reason } }
      }
      return { exitCode: null, signal: 'SIGTERM', report: null }
    }
    const message = (error as Error).message
    if (!(error instanceof JobFailure)) this.#log('error', `agent:run: ${message}`)
    return { exitCode: 1, signal: null, report: { error: message } }
  }

  // ---- without a workspace: today's command, in the runner's directory ----

  async #runInPlace(runDir: string): Promise<WorkOutcome> {
    const files = this.#writeRunFiles(runDir, null)
    const reader = new CliOutput(this.options.preset.output)
    const outcome = await this.#spawn({
      argv: this.#argv(null, files),
      env: this.#childEnv(null, files),
      stdin: JSON.stringify(this.#stdinItem(null, files)) + '\n',
      onStdout: (text) => {
        this.#lastLine = text
        reader.line(text)
      },
    })
    if (outcome.stopped) return this.#failure(new Stopped())
    const reading = reader.reading()
    return {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      report: reading.report ?? this.#readingReport(reading),
    }
  }

  // ---- with a workspace: the whole job ----

  async #prepare() {
    const item = this.#item
    this.#log('info', `agent:run: preparing a worktree of ${item.project.repo_full_name}`)
    const worktree = await this.options.workspaces.prepare(
      {
        runId: this.work.run.id,
        itemId: item.id,
        title: item.title,
        repo: item.project.repo_full_name,
        defaultBranch: item.project.repo_default_branch,
        continueFrom: this.#continueFrom,
      },
      this.#git
    )
    this.#log(
      'info',
      worktree.continuing
        ? `agent:run: continuing on ${worktree.branch} at ${worktree.baseSha.slice(0, 12)}`
        : `agent:run: new branch ${worktree.branch} from ${item.project.repo_default_branch} at ${worktree.baseSha.slice(0, 12)}`
    )
    return worktree
  }

  async #runInWorktree(worktree: Worktree): Promise<WorkOutcome> {
    const preset = this.options.preset
    const files = this.#writeRunFiles(worktree.runDir, worktree)
    const env = this.#childEnv(worktree, files)

    await this.#hook('after_create', worktree, env)
    await this.#hook('before_run', worktree, env)

    const reader = new CliOutput(preset.output)
    this.#log('info', `agent:run: running ${preset.name}: ${preset.command[0]}`)
    const cli = await this.#spawn({
      argv: this.#argv(worktree, files),
      cwd: worktree.dir,
      env,
      stdin:
        preset.prompt.via === 'stdin'
          ? files.prompt
          : JSON.stringify(this.#stdinItem(worktree, files)) + '\n',
      onStdout: (text) => {
        this.#lastLine = text
        reader.line(text)
      },
    })
    if (cli.stopped) throw new Stopped()
    const reading = reader.reading()
    // A command's own report (last_json_line) may say what only it knows; git facts are the runner's.
    const own = Object.fromEntries(
      Object.entries(reading.report ?? {}).filter(([key]) =>
        ['summary', 'costs', 'tests', 'error'].includes(key)
      )
    )
    const report: Record<string, unknown> = {
      ...this.#readingReport(reading),
      ...own,
      branch_name: worktree.branch,
    }
    if (cli.exitCode !== 0 || reading.failed) {
      const error =
        (own.error as string | undefined) ??
        reading.error ??
        (reading.failed
          ? `${preset.command[0]} reported a failure`
          : `${preset.command[0]} exited with ${cli.exitCode ?? cli.signal}`)
      this.#log('error', `agent:run: ${error}`)
      return { exitCode: cli.exitCode || 1, signal: null, report: { ...report, error } }
    }

    await this.#hook('after_run', worktree, env)
    const tests = await this.#tests(worktree, env)
    if (tests) report.tests = tests
    delete report.error

    await this.#commitLeftovers(worktree)
    const ahead = Number(
      await this.#git(['rev-list', '--count', `${worktree.baseSha}..HEAD`], worktree.dir)
    )
    if (!(ahead > 0)) {
      this.#log('error', 'agent:run: no changes: nothing to push')
      return { exitCode: 1, signal: null, report: { ...report, error: 'no changes' } }
    }
    const headSha = await this.#git(['rev-parse', 'HEAD'], worktree.dir)
    this.#log('info', `agent:run: pushing ${ahead} commit(s) to ${worktree.branch}`)
    await this.#git(
      [
        'push',
        '--quiet',
        `--force-with-lease=refs/heads/${worktree.branch}:${worktree.remoteSha ?? ''}`,
        'origin',
        `HEAD:refs/heads/${worktree.branch}`,
      ],
      worktree.dir
    )
    const summary = typeof report.summary === 'string' ? report.summary : undefined
    Object.assign(report, { head_sha: headSha }, await this.#pullRequest(worktree, summary))
    return { exitCode: 0, signal: null, report }
  }

  async #hook(name: HookName, worktree: Worktree, env: NodeJS.ProcessEnv) {
    const hook = this.options.hooks[name] ?? this.options.preset.hooks[name]
    if (!hook) return
    this.#log('info', `agent:run: ${name}: ${hook.run}`)
    const outcome = await this.#spawn({
      argv: ['sh', '-c', hook.run],
      cwd: worktree.dir,
      env,
      timeoutMs: hook.timeout_seconds * 1000,
    })
    if (outcome.timedOut) {
      throw new JobFailure(`${name} hook timed out after ${hook.timeout_seconds} s`)
    }
    if (outcome.stopped) throw new Stopped()
    if (outcome.exitCode !== 0) {
      const error = `${name} hook failed (exit ${outcome.exitCode ?? outcome.signal})`
      this.#log('error', `agent:run: ${error}`)
      throw new JobFailure(error)
    }
  }

  /** `--test-command` or the preset's: its last JSON line, TAP-style counts, or its exit code. */
  async #tests(worktree: Worktree, env: NodeJS.ProcessEnv) {
    const command = this.options.testCommand ?? this.options.preset.test_command
    if (!command) return null
    this.#log('info', `agent:run: tests: ${command}`)
    const lines: string[] = []
    const outcome = await this.#spawn({
      argv: ['sh', '-c', command],
      cwd: worktree.dir,
      env,
      timeoutMs: TEST_TIMEOUT_SECONDS * 1000,
      onStdout: (text) => {
        lines.push(text)
        if (lines.length > 2000) lines.shift()
      },
    })
    if (outcome.stopped && !outcome.timedOut) throw new Stopped()
    return testCounts(lines, outcome.exitCode === 0)
  }

  async #commitLeftovers(worktree: Worktree) {
    const status = await this.#git(['status', '--porcelain'], worktree.dir)
    if (!status) return
    const item = this.#item
    await this.#git(['add', '--all'], worktree.dir)
    const message = `${item.title}\n\nGatehouse work item #${item.id}, run #${this.work.run.id} (attempt ${this.work.run.attempt}).`
    await this.#git(['commit', '--quiet', '--no-verify', '-m', message], worktree.dir)
  }

  async #pullRequest(worktree: Worktree, summary: string | undefined) {
    const token = this.options.gitToken
    if (!token) {
      this.#log('warn', 'agent:run: no GATEHOUSE_GIT_TOKEN: the branch is pushed, no pull request')
      return {}
    }
    const item = this.#item
    const issue = issueNumber(item.payload)
    const runUrl = new URL(`/runs/${this.work.run.id}`, this.options.serverUrl).toString()
    const body = [
      issue ? `Fixes #${issue}\n` : null,
      summary ? `${summary.slice(0, 4000)}\n` : null,
      '---',
      `Opened by the Gatehouse reference agent (${this.options.preset.name}) for work item #${item.id}: [run #${this.work.run.id}](${runUrl}), attempt ${this.work.run.attempt}.`,
    ]
      .filter((part) => part !== null)
      .join('\n')
    const pull = await new PullRequests(token, this.options.githubApiUrl).openOrUpdate({
      repo: item.project.repo_full_name,
      branch: worktree.branch,
      base: item.project.repo_default_branch,
      title: item.title.slice(0, 256),
      body,
      knownNumber: this.#continueFrom?.pr_number,
    })
    this.#log(
      'info',
      `agent:run: pull request #${pull.number} ${pull.opened ? 'opened' : 'updated'}: ${pull.url}`
    )
    return { pr_number: pull.number, pr_url: pull.url }
  }

  async #cleanUp(worktree: Worktree, outcome: WorkOutcome) {
    const failed = outcome.exitCode !== 0
    if (failed && this.options.keepFailed) {
      this.#log('info', `agent:run: worktree kept (--keep-failed): ${worktree.dir}`)
      return
    }
    try {
      await this.options.workspaces.remove(
        worktree,
        this.#item.project.repo_full_name,
        (args, cwd) => this.#git(args, cwd, true)
      )
    } catch (error) {
      this.#log('warn', `agent:run: could not remove the worktree: ${(error as Error).message}`)
    }
  }

  // ---- the pieces ----

  #writeRunFiles(runDir: string, worktree: Worktree | null) {
    mkdirSync(runDir, { recursive: true })
    const item = this.#item
    const feedback = this.#feedback
    const conversation = this.#conversation
    const files = {
      dir: runDir,
      prompt: '',
      promptFile: join(runDir, 'prompt.md'),
      feedbackFile:
        feedback === undefined || feedback === null ? null : join(runDir, 'feedback.json'),
    }
    if (files.feedbackFile) writeFileSync(files.feedbackFile, JSON.stringify(feedback, null, 2))
    if (worktree) {
      const template = this.options.promptTemplate ?? this.options.preset.prompt.template
      const json = (value: unknown) =>
        value === undefined || value === null || (Array.isArray(value) && value.length === 0)
          ? ''
          : JSON.stringify(value, null, 2)
      const payload = (item.payload ?? {}) as Record<string, unknown>
      files.prompt = renderPrompt(template ?? defaultPromptTemplate(), {
        title: item.title,
        body: typeof payload.body === 'string' ? payload.body : '',
        payload: JSON.stringify(item.payload ?? {}, null, 2),
        repo: item.project.repo_full_name,
        branch: worktree.branch,
        base_branch: item.project.repo_default_branch,
        work_type: item.work_type,
        item_id: String(item.id),
        run_id: String(this.work.run.id),
        attempt: String(this.work.run.attempt),
        issue_number: issueNumber(item.payload) ? String(issueNumber(item.payload)) : '',
        continuing: worktree.continuing ? 'yes' : '',
        feedback: json(feedback),
        conversation: json(conversation),
      })
      writeFileSync(files.promptFile, files.prompt)
    }
    return files
  }

  #argv(worktree: Worktree | null, files: { prompt: string; promptFile: string }) {
    const values: Record<string, string> = {
      '{prompt}': files.prompt,
      '{prompt_file}': files.promptFile,
      '{command}': this.options.command ?? '',
      '{worktree}': worktree?.dir ?? process.cwd(),
      '{branch}': worktree?.branch ?? '',
    }
    return this.options.preset.command.map((part) =>
      part.replace(/\{[a-z_]+\}/g, (placeholder) => values[placeholder] ?? placeholder)
    )
  }

  #childEnv(
    worktree: Worktree | null,
    files: { promptFile: string; feedbackFile: string | null }
  ): NodeJS.ProcessEnv {
    const item = this.#item
    const preset = this.options.preset
    return childEnvironment(process.env, [...preset.env.allow, ...this.options.allowEnv], {
      ...preset.env.set,
      GATEHOUSE_RUN_ID: String(this.work.run.id),
      GATEHOUSE_ATTEMPT: String(this.work.run.attempt),
      GATEHOUSE_WORK_ITEM_ID: String(item.id),
      GATEHOUSE_WORK_ITEM_TITLE: item.title,
      GATEHOUSE_WORK_TYPE: item.work_type,
      GATEHOUSE_PAYLOAD: JSON.stringify(item.payload ?? {}),
      GATEHOUSE_PROJECT: item.project.slug,
      GATEHOUSE_REPO: item.project.repo_full_name,
      GATEHOUSE_BRANCH: item.project.repo_default_branch,
      GATEHOUSE_FEEDBACK_FILE: files.feedbackFile ?? undefined,
      GATEHOUSE_WORK_BRANCH: worktree?.branch,
      GATEHOUSE_WORKTREE: worktree?.dir,
      GATEHOUSE_PROMPT_FILE: worktree ? files.promptFile : undefined,
    })
  }

  /** The item as JSON on stdin (unless the prompt goes there). */
  #stdinItem(worktree: Worktree | null, files: { promptFile: string }) {
    const extra: Record<string, unknown> = {}
    if (this.#feedback !== undefined) extra.feedback = this.#feedback
    if (this.#conversation !== undefined) extra.conversation = this.#conversation
    if (this.#continueFrom) extra.continue_from = this.#continueFrom
    if (worktree) Object.assign(extra, { branch: worktree.branch, prompt_file: files.promptFile })
    return { ...this.#item, ...extra }
  }

  #readingReport(reading: CliReading): Record<string, unknown> {
    const report: Record<string, unknown> = {}
    if (reading.summary) report.summary = reading.summary
    if (reading.costs) report.costs = reading.costs
    return report
  }

  /** Runs git with the runner's git environment (the askpass helper, never the CLI's). */
  #git = async (args: string[], cwd: string, evenWhenStopping = false) => {
    const stdout: string[] = []
    const outcome = await this.#spawn(
      {
        argv: ['git', ...args],
        cwd,
        env: this.#gitEnv(),
        onStdout: (text) => stdout.push(text),
        quietStdout: true,
      },
      evenWhenStopping
    )
    if (outcome.stopped) throw new Stopped()
    if (outcome.exitCode !== 0) {
      throw new Error(`git ${args[0]} failed (exit ${outcome.exitCode ?? outcome.signal})`)
    }
    return stdout.join('\n').trim()
  }

  #gitEnv() {
    const { name, email } = this.options.gitAuthor
    const env: NodeJS.ProcessEnv = {
      ...childEnvironment(process.env, []),
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    }
    if (this.options.gitToken) {
      env.GIT_ASKPASS = this.options.workspaces.askpassPath()
      env.GATEHOUSE_GIT_TOKEN = this.options.gitToken
    }
    return env
  }

  async #spawn(
    spec: Omit<ProcessSpec, 'onLine' | 'graceMs'> & { quietStdout?: boolean },
    evenWhenStopping = false
  ): Promise<ProcessOutcome> {
    if (this.#stopping && !evenWhenStopping) throw new Stopped()
    const process = new WorkProcess({
      ...spec,
      graceMs: this.#graceMs,
      onLine: (line) => {
        if (spec.quietStdout && line.stream === 'stdout') return
        this.#emit(
          spec.quietStdout ? { ...line, level: 'info', message: `git: ${line.message}` } : line
        )
      },
    })
    this.#current = process
    try {
      return await process.finished
    } finally {
      if (this.#current === process) this.#current = null
    }
  }

  #log(level: LogLine['level'], message: string) {
    this.#emit({ level, message, logged_at: new Date().toISOString() })
  }

  /** Every line goes out with the secrets blanked, and only up to the run's output cap. */
  #emit(line: LogLine) {
    let message = line.message
    for (const secret of this.options.secrets) {
      if (secret) message = message.replaceAll(secret, '***')
    }
    if (this.#cut) return
    this.#loggedBytes += Buffer.byteLength(message) + 1
    if (this.#loggedBytes > this.options.maxLogBytes) {
      this.#cut = true
      this.onLine({
        level: 'warn',
        message: `agent:run: output cut after ${this.options.maxLogBytes} bytes (--max-log-bytes)`,
        logged_at: new Date().toISOString(),
      })
      return
    }
    this.onLine({ ...line, message })
  }
}

/** A GitHub item's issue (intake stores `issue_number` in the payload). */
function issueNumber(payload: unknown) {
  const number = (payload as { issue_number?: unknown } | null)?.issue_number
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : null
}

/** A test command's counts: its last JSON line, TAP/node:test `# pass N` lines, or pass/fail by exit code. */
export function testCounts(lines: string[], exitedZero: boolean) {
  for (const line of [...lines].reverse()) {
    if (!line.trim()) continue
    try {
      const parsed = JSON.parse(line)
      if (Number.isInteger(parsed?.passed) && Number.isInteger(parsed?.failed)) {
        return {
          passed: parsed.passed,
          failed: parsed.failed,
          ...(Number.isInteger(parsed.skipped) ? { skipped: parsed.skipped } : {}),
        }
      }
    } catch {}
    break
  }
  const count = (name: string) => {
    const match = lines
      .map((line) => line.match(new RegExp(`^#\\s*${name}\\s+(\\d+)\\s*$`)))
      .filter(Boolean)
      .at(-1)
    return match ? Number(match[1]) : null
  }
  const passed = count('pass')
  const failed = count('fail')
  if (passed !== null && failed !== null) {
    return { passed, failed, skipped: count('skip(?:ped)?') ?? 0 }
  }
  return exitedZero ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 }
}
