import { args, flags } from '@adonisjs/core/ace'
import GatehouseCommand from '#commands/_gatehouse_command'

/**
 * What `agent:enable` and `agent:disable` share: they differ only in the state they set.
 * (Ace's loader skips files starting with `_`: this one is no command of its own.)
 */
export default abstract class AgentEnablementCommand extends GatehouseCommand {
  /** The state the command sets. */
  protected abstract enabled: boolean

  @args.string({ description: 'Agent key' })
  declare key: string

  @flags.string({ description: 'Why (kept in the audit log)' })
  declare reason?: string

  /** What a subclass does before the state changes (agent:disable --drain waits). */
  protected async beforeChange(_agent: any): Promise<void> {}

  async run() {
    const { default: Agent } = await import('#models/agent')

    const agent = await Agent.findBy('key', this.key)
    if (!agent) return this.fail(`no agent with key "${this.key}"`)
    await this.beforeChange(agent)
    const options = { reason: this.reason }
    const changed = this.enabled
      ? await agent.enable('system', options)
      : await agent.disable('system', options)
    const state = this.enabled ? 'enabled' : 'disabled'
    this.output({ agent: this.key, enabled: this.enabled, changed }, () => {
      if (changed) this.logger.success(`Agent "${this.key}" ${state}`)
      else this.logger.info(`Agent "${this.key}" was already ${state}`)
    })
  }
}
