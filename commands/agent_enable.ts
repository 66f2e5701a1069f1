import AgentEnablementCommand from '#commands/_agent_enablement_command'

/** `agent:enable <key>` */
export default class AgentEnable extends AgentEnablementCommand {
  static commandName = 'agent:enable'
  static description = 'Enable a disabled agent'
  protected enabled = true
}
