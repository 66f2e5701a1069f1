import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * What `agent:enable` and `agent:disable` share: they differ only in the state they set.
 * (Ace's loader skips files starting with `_`: this one is no command of its own.)
 */
export default abstract class AgentEnablementCommand extends BaseCommand {
  static options: CommandOptions = { startApp: true }

  /** The state the command sets. */
  protected abstract enabled: boolean

  @args.string({ description: 'Agent key' })
  declare key: string

  @flags.string({ description: 'Why (kept in the audit log)' })
  declare reason?: string

  @flags.boolean({ description: 'Print the outcome as JSON' })
  declare json: boolean

  /** What a subclass does before the state changes (agent:disable --drain waits). */
  protected async beforeChange(_agent: any): Promise<void> {}

  async run() {
    const { default: Agent } = await import('#models/agent')

    const agent = await Agent.findBy('key', this.key)
    if (!agent) {
      this.exitCode = 1
      if (this.json) this.logger.log(JSON.stringify({ error: `no agent with key "${this.key}"` }))
      else this.logger.error(`no agent with key "${this.key}"`)
      return
    }
    await this.beforeChange(agent)
    const options = { reason: this.reason }
    const changed = this.enabled
      ? await agent.enable('system', options)
      : await agent.disable('system', options)
    const state = this.enabled ? 'enabled' : 'disabled'
    if (this.json)
      return this.logger.log(JSON.stringify({ agent: this.key, enabled: this.enabled, changed }))
    if (changed) this.logger.success(`Agent "${this.key}" ${state}`)
    else this.logger.info(`Agent "${this.key}" was already ${state}`)
  }
}
