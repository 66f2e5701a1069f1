import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import GatehouseApi, { GatehouseApiError } from '#services/agent_runner/gatehouse_api'
import ReferenceAgent from '#services/agent_runner/reference_agent'

/**
 * The reference agent: a client of the agent API only (it needs no database). Each claimed
 * item runs `--command` in a shell, with the item in GATEHOUSE_* variables and on stdin.
 */
export default class AgentRun extends BaseCommand {
  static commandName = 'agent:run'
  static description = 'Run a reference agent that claims work and runs a shell command per item'
  static help = [
    'npm run ace -- agent:run --server=http://localhost:3333 --token=gha_… --command="./do-work.sh"',
    'The command gets GATEHOUSE_WORK_ITEM_ID, _TITLE, _WORK_TYPE, _PAYLOAD (JSON), _REPO, _BRANCH,',
    'and the item as JSON on stdin. Exit 0 = succeeded. A final JSON line on stdout may report',
    'pr_url, head_sha, branch_name, summary, costs and tests.',
  ]

  static options: CommandOptions = { startApp: false, staysAlive: true }

  @flags.string({ description: 'Gatehouse URL (env GATEHOUSE_URL)' })
  declare server?: string

  @flags.string({ description: 'Agent token (env GATEHOUSE_TOKEN)' })
  declare token?: string

  @flags.string({ description: 'Shell command run per item (env AGENT_COMMAND)' })
  declare command?: string

  @flags.number({ description: 'Items worked on at once', default: 1 })
  declare concurrency: number

  @flags.array({ description: 'Only claim these work types' })
  declare workTypes?: string[]

  @flags.string({ description: 'Only claim from this project (slug)' })
  declare project?: string

  @flags.number({ description: 'Long-poll seconds when idle (0-30)', default: 20 })
  declare wait: number

  @flags.number({ description: 'Seconds between SIGTERM and SIGKILL on cancel', default: 10 })
  declare grace: number

  @flags.boolean({ description: 'Exit when nothing is left to claim' })
  declare exitWhenIdle: boolean

  async run() {
    const server = this.server ?? process.env.GATEHOUSE_URL ?? 'http://localhost:3333'
    const token = this.token ?? process.env.GATEHOUSE_TOKEN
    const command = this.command ?? process.env.AGENT_COMMAND
    if (!token) return this.#fail('no agent token: pass --token or set GATEHOUSE_TOKEN')
    if (!command) return this.#fail('no command: pass --command or set AGENT_COMMAND')
    if (!(this.concurrency >= 1)) return this.#fail('--concurrency must be at least 1')
    if (!(this.wait >= 0 && this.wait <= 30)) return this.#fail('--wait must be between 0 and 30')

    const agent = new ReferenceAgent(
      new GatehouseApi(server, token),
      {
        command,
        concurrency: this.concurrency,
        workTypes: this.workTypes?.flatMap((type) => type.split(',')).filter(Boolean),
        project: this.project,
        waitSeconds: this.wait,
        graceMs: this.grace * 1000,
        exitWhenIdle: this.exitWhenIdle,
      },
      (event, details) => this.logger.info(`${event} ${JSON.stringify(details)}`)
    )
    const shutdown = () => {
      this.logger.info('stopping: releasing held items')
      void agent.shutdown()
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
    try {
      await agent.run()
    } catch (error) {
      const reason = error instanceof GatehouseApiError ? error.message : (error as Error).message
      return this.#fail(reason)
    } finally {
      process.off('SIGINT', shutdown)
      process.off('SIGTERM', shutdown)
    }
    await this.terminate()
  }

  async #fail(reason: string) {
    this.logger.error(reason)
    this.exitCode = 1
    await this.terminate()
  }
}
