import AgentEnablementCommand from '#commands/_agent_enablement_command'

/** `agent:disable <key>` */
export default class AgentDisable extends AgentEnablementCommand {
  static commandName = 'agent:disable'
  static description =
    'Disable an agent: the API answers it 403 and it claims nothing (its history stays)'
  protected enabled = false
}
