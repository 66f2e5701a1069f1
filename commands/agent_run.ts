import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import GatehouseApi from '#agent_runner/gatehouse_api'
import ReferenceAgent from '#agent_runner/reference_agent'

/**
 * The reference agent: a client of the agent API only (it needs no database). Each claimed
 * item runs `--command` in a shell, with the item in GATEHOUSE_* variables and on stdin.
 */
export default class AgentRun extends BaseCommand {
  static commandName = 'agent:run'
  static description = 'Run a reference agent that claims work and runs a shell command per item'
  static help = [
    'npm run ace -- agent:run --server=http://localhost:3333 --token=gha_… --command="./do-work.sh"',
    'The command gets GATEHOUSE_RUN_ID, _ATTEMPT, _WORK_ITEM_ID, _WORK_ITEM_TITLE, _WORK_TYPE,',
    '_PAYLOAD (JSON), _PROJECT, _REPO and _BRANCH, and the item as JSON on stdin. Exit 0 = succeeded.',
    'A final JSON line on stdout may report summary, pr_url, pr_number, head_sha, branch_name, costs, tests.',
    'Ctrl-C stops the commands and gives their items back; a second Ctrl-C exits at once.',
  ]

  static options: CommandOptions = { startApp: false, staysAlive: true }

  @flags.string({ description: 'Gatehouse URL (env GATEHOUSE_URL, default http://localhost:3333)' })
  declare server?: string

  @flags.string({ description: 'Agent token (env GATEHOUSE_TOKEN)' })
  declare token?: string

  @flags.string({ description: 'Shell command run per item (env AGENT_COMMAND)' })
  declare command?: string

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
    if (!command) return this.#fail('no command: pass --command or set AGENT_COMMAND')
    if (!URL.canParse(server)) return this.#fail(`--server is not a URL: ${server}`)
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)) {
      return this.#fail('--concurrency must be a whole number from 1 to 100')
    }
    if (!(Number.isInteger(this.wait) && this.wait >= 0 && this.wait <= 30)) {
      return this.#fail('--wait must be a whole number of seconds from 0 to 30')
    }
    if (!(this.grace >= 0)) return this.#fail('--grace must be 0 or more seconds')

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
        command,
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
    report('started', { server, concurrency, work_types: workTypes, project: project ?? null })
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
