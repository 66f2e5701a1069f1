import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `agent:enable <key>` */
export default class AgentEnable extends BaseCommand {
  static commandName = 'agent:enable'
  static description = 'Enable a disabled agent'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Agent key' })
  declare key: string

  @flags.string({ description: 'Why (kept in the audit log)' })
  declare reason?: string

  @flags.boolean({ description: 'Print the outcome as JSON' })
  declare json: boolean

  async run() {
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { default: Agent } = await import('#models/agent')
    const { default: AgentRegistry } = await import('#services/agent_registry')

    const changed = await db.transaction(async (trx) => {
      const agent = await Agent.query({ client: trx }).where('key', this.key).forUpdate().first()
      if (!agent) return null
      return AgentRegistry.setEnabled(trx, agent, true, 'system', this.reason)
    })
    if (changed === null) {
      this.exitCode = 1
      if (this.json) this.logger.log(JSON.stringify({ error: `no agent with key "${this.key}"` }))
      else this.logger.error(`no agent with key "${this.key}"`)
      return
    }
    if (this.json) return this.logger.log(JSON.stringify({ agent: this.key, enabled: true, changed }))
    if (changed) this.logger.success(`Agent "${this.key}" enabled`)
    else this.logger.info(`Agent "${this.key}" was already enabled`)
  }
}
