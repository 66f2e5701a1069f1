import { flags } from '@adonisjs/core/ace'
import { setTimeout as sleep } from 'node:timers/promises'
import AgentEnablementCommand from '#commands/_agent_enablement_command'

/** `agent:disable <key> [--drain]` */
export default class AgentDisable extends AgentEnablementCommand {
  static commandName = 'agent:disable'
  static description =
    'Disable an agent: it claims nothing more; its running runs may still report their result (its history stays)'
  protected enabled = false

  @flags.boolean({
    description:
      'Drain first: the agent claims nothing new (409 draining), the command waits until its running runs end, then disables it',
  })
  declare drain: boolean

  @flags.number({ description: 'With --drain: seconds between checks', default: 2 })
  declare every: number

  /** With --drain: stop claims, wait for the runs in flight, then disable as usual. */
  protected async beforeChange(agent: {
    drain(by: 'system', options: { reason?: string }): Promise<boolean>
    runningCount(): Promise<number>
  }) {
    if (!this.drain) return
    await agent.drain('system', { reason: this.reason })
    let reported = -1
    while (true) {
      const running = await agent.runningCount()
      if (running === 0) return
      if (running !== reported && !this.json) {
        this.logger.info(`Agent "${this.key}" is draining: ${running} run(s) still running`)
      }
      reported = running
      await sleep(Math.max(0.1, this.every) * 1000)
    }
  }
}
