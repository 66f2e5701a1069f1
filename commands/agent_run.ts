import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { loadPreset, parseHook, type Hook, type HookName } from '#agent_runner/agent_preset'
import GatehouseApi from '#agent_runner/gatehouse_api'
import ReferenceAgent from '#agent_runner/reference_agent'
import Workspaces from '#agent_runner/workspaces'

/** What i13's per-run log quota allows by default (`max_log_bytes_per_run`). */
const DEFAULT_MAX_LOG_BYTES = 50 * 1024 * 1024

/**
 * The reference agent: a client of the agent API only (it needs no database). Each claimed
 * item is worked on as the `--preset` says: `shell` (the default) runs `--command` with the
 * item in GATEHOUSE_* variables and on stdin; the coding CLI presets (claude-code, codex,
 * gemini, or a JSON file of one's own) get a git worktree on the item's branch, a prompt, and
 * the runner commits, pushes and opens the pull request (docs/agent-presets.md).
 */
export default class AgentRun extends BaseCommand {
  static commandName = 'agent:run'
  static description =
    'Run a reference agent that claims work and works each item with a coding CLI preset or a shell command'
  static help = [
    'GATEHOUSE_TOKEN=gha_… GATEHOUSE_GIT_TOKEN=ghp_… npm run ace -- agent:run --preset=claude-code',
    'npm run ace -- agent:run --server=http://localhost:3333 --token=gha_… --command="./do-work.sh"',
    'Presets: config/agent_presets/*.json (claude-code, codex, gemini, shell) or --preset=./mine.json.',
    'With a workspace: one bare mirror per repository and one git worktree per item under --workspaces,',
    'on branch gatehouse/<item id>-<slug>; the runner commits, pushes with GATEHOUSE_GIT_TOKEN and opens',
    'or updates the pull request (GITHUB_API_URL), then completes with branch, PR, head SHA, costs, tests.',
    'The shell preset: the command gets GATEHOUSE_RUN_ID, _ATTEMPT, _WORK_ITEM_ID, _WORK_ITEM_TITLE,',
    '_WORK_TYPE, _PAYLOAD (JSON), _PROJECT, _REPO, _BRANCH, _FEEDBACK_FILE and the item as JSON on stdin.',
    'Exit 0 = succeeded; a final JSON line on stdout may report summary, pr_url, head_sha, costs, tests.',
    'Ctrl-C stops the commands and gives their items back; a second Ctrl-C exits at once.',
  ]

  static options: CommandOptions = { startApp: false, staysAlive: true }

  @flags.string({ description: 'Gatehouse URL (env GATEHOUSE_URL, default http://localhost:3333)' })
  declare server?: string

  @flags.string({ description: 'Agent token (env GATEHOUSE_TOKEN)' })
  declare token?: string

  @flags.string({
    description:
      'How items are worked on: a shipped preset or a .json file (env AGENT_PRESET, default shell)',
  })
  declare preset?: string

  @flags.string({
    description: 'Shell command run per item by the shell preset (env AGENT_COMMAND)',
  })
  declare command?: string

  @flags.string({
    description: 'Mirrors and worktrees (env GATEHOUSE_WORKSPACES, default ./storage/workspaces)',
  })
  declare workspaces?: string

  @flags.string({
    description:
      'Clone URL, {repo} is owner/name (env GATEHOUSE_GIT_URL, default https://github.com/{repo}.git)',
  })
  declare gitUrl?: string

  @flags.boolean({ description: "Keep a failed or stopped run's worktree" })
  declare keepFailed: boolean

  @flags.number({ description: 'Stop an item after this many seconds and report it failed' })
  declare maxRunSeconds?: number

  @flags.string({ description: 'Tests run in the worktree after the CLI; reported as tests' })
  declare testCommand?: string

  @flags.string({ description: "Prompt template file (over the preset's)" })
  declare promptTemplate?: string

  @flags.string({ description: 'Hook run once the worktree exists, e.g. "npm ci"' })
  declare afterCreate?: string

  @flags.string({ description: 'Hook run before the CLI' })
  declare beforeRun?: string

  @flags.string({ description: 'Hook run after the CLI succeeded' })
  declare afterRun?: string

  @flags.number({ description: 'Seconds each hook given by flag may take', default: 600 })
  declare hookTimeout: number

  @flags.array({ description: "More variables the CLI's environment may have (NAME or PREFIX*)" })
  declare allowEnv?: string[]

  @flags.number({
    description: 'Bytes of output logged per run, then cut',
    default: DEFAULT_MAX_LOG_BYTES,
  })
  declare maxLogBytes: number

  @flags.number({ description: 'Items worked on at once (env AGENT_CONCURRENCY, default 1)' })
  declare concurrency?: number

  @flags.array({
    description: 'Only claim these work types (env GATEHOUSE_WORK_TYPES, comma separated)',
  })
  declare workTypes?: string[]

  @flags.string({ description: 'Only claim from this project slug (env GATEHOUSE_PROJECT)' })
  declare project?: string

  @flags.number({ description: 'Long-poll seconds when idle, 0-30', default: 20 })
  declare wait: number

  @flags.number({
    description: 'Seconds between SIGTERM and SIGKILL when stopping a command',
    default: 10,
  })
  declare grace: number

  @flags.boolean({ description: 'Exit when nothing is left to claim' })
  declare exitWhenIdle: boolean

  @flags.boolean({ description: 'Print events as JSON lines' })
  declare json: boolean

  async run() {
    const server = this.server ?? process.env.GATEHOUSE_URL ?? 'http://localhost:3333'
    const token = this.token ?? process.env.GATEHOUSE_TOKEN
    const command = this.command ?? process.env.AGENT_COMMAND
    const concurrency = this.concurrency ?? Number(process.env.AGENT_CONCURRENCY ?? 1)
    const workTypes = (this.workTypes ?? process.env.GATEHOUSE_WORK_TYPES?.split(',') ?? [])
      .flatMap((type) => type.split(','))
      .map((type) => type.trim())
      .filter(Boolean)
    const project = this.project ?? process.env.GATEHOUSE_PROJECT

    if (!token) return this.#fail('no agent token: pass --token or set GATEHOUSE_TOKEN')
    let preset
    try {
      preset = loadPreset(this.preset ?? process.env.AGENT_PRESET ?? 'shell')
    } catch (error) {
      return this.#fail((error as Error).message)
    }
    if (!command && preset.command.some((part) => part.includes('{command}'))) {
      return this.#fail('no command: pass --command or set AGENT_COMMAND')
    }
    const program = preset.command[0]
    if (!program.includes('{') && !onPath(program)) {
      return this.#fail(`${program} (preset ${preset.name}) is not installed or not on PATH`)
    }
    if (!URL.canParse(server)) return this.#fail(`--server is not a URL: ${server}`)
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)) {
      return this.#fail('--concurrency must be a whole number from 1 to 100')
    }
    if (!(Number.isInteger(this.wait) && this.wait >= 0 && this.wait <= 30)) {
      return this.#fail('--wait must be a whole number of seconds from 0 to 30')
    }
    if (!(this.grace >= 0)) return this.#fail('--grace must be 0 or more seconds')
    if (this.maxRunSeconds !== undefined && !(this.maxRunSeconds > 0)) {
      return this.#fail('--max-run-seconds must be more than 0')
    }
    if (!(Number.isInteger(this.maxLogBytes) && this.maxLogBytes >= 1024)) {
      return this.#fail('--max-log-bytes must be a whole number from 1024')
    }
    const gitUrl = this.gitUrl ?? process.env.GATEHOUSE_GIT_URL ?? 'https://github.com/{repo}.git'
    if (!gitUrl.includes('{repo}')) return this.#fail('--git-url must contain {repo}')
    if (URL.canParse(gitUrl) && (new URL(gitUrl).username || new URL(gitUrl).password)) {
      return this.#fail('--git-url must not hold credentials: set GATEHOUSE_GIT_TOKEN instead')
    }
    const hooks: Partial<Record<HookName, Hook>> = {}
    const hookFlags: [HookName, string | undefined][] = [
      ['after_create', this.afterCreate],
      ['before_run', this.beforeRun],
      ['after_run', this.afterRun],
    ]
    for (const [name, run] of hookFlags) {
      if (run === undefined) continue
      const hook = parseHook({ run, timeout_seconds: this.hookTimeout })
      if (typeof hook === 'string') return this.#fail(`--${name.replace('_', '-')}: ${hook}`)
      hooks[name] = hook
    }
    let promptTemplate: string | undefined
    if (this.promptTemplate) {
      try {
        promptTemplate = readFileSync(resolve(this.promptTemplate), 'utf8')
      } catch (error) {
        return this.#fail(`--prompt-template: ${(error as Error).message}`)
      }
    }
    const gitToken = process.env.GATEHOUSE_GIT_TOKEN || undefined

    const report = (event: string, details: Record<string, unknown>) => {
      if (this.json)
        this.logger.log(JSON.stringify({ event, at: new Date().toISOString(), ...details }))
      else this.logger.info(`${event} ${JSON.stringify(details)}`)
    }
    const api = new GatehouseApi(server, token, {
      onRetry: (reason, delayMs) => report('retrying', { reason, in_ms: delayMs }),
    })
    const agent = new ReferenceAgent(
      api,
      {
        job: {
          preset,
          command,
          workspaces: new Workspaces(
            resolve(this.workspaces ?? process.env.GATEHOUSE_WORKSPACES ?? 'storage/workspaces'),
            gitUrl
          ),
          gitToken,
          githubApiUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
          serverUrl: server,
          keepFailed: this.keepFailed,
          maxRunSeconds: this.maxRunSeconds,
          testCommand: this.testCommand,
          promptTemplate,
          hooks,
          allowEnv: (this.allowEnv ?? []).flatMap((name) => name.split(',')).filter(Boolean),
          maxLogBytes: this.maxLogBytes,
          secrets: [token, gitToken ?? ''].filter((secret) => secret.length >= 8),
          gitAuthor: {
            name: process.env.GIT_AUTHOR_NAME ?? 'Gatehouse agent',
            email: process.env.GIT_AUTHOR_EMAIL ?? 'agent@gatehouse.invalid',
          },
        },
        concurrency,
        workTypes: workTypes.length > 0 ? workTypes : undefined,
        project,
        waitSeconds: this.wait,
        graceMs: this.grace * 1000,
        exitWhenIdle: this.exitWhenIdle,
      },
      report
    )

    let interrupted = false
    const stop = (signal: NodeJS.Signals) => {
      if (interrupted) {
        report('exiting at once', { signal, held_runs: agent.heldRuns })
        process.exit(130)
      }
      interrupted = true
      report('stopping', { signal, releasing_runs: agent.heldRuns })
      agent.shutdown()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    report('started', {
      server,
      preset: preset.name,
      concurrency,
      work_types: workTypes,
      project: project ?? null,
    })
    try {
      await agent.run()
      report('stopped', {})
    } catch (error) {
      this.#fail((error as Error).message)
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
    await this.terminate()
  }

  async #fail(reason: string) {
    this.logger.error(reason)
    this.exitCode = 1
    await this.terminate()
  }
}

/** The program can be started: a path that is executable, or a name found on PATH. */
function onPath(program: string) {
  const candidates = program.includes('/')
    ? [resolve(program)]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program))
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
