import { BaseSerializer } from '@adonisjs/core/transformers'

/**
 * Turns the agent API's answers into JSON: each resource as its transformer shapes it, at the
 * top level (spec §5 has no `data` envelope).
 */
class AgentApiSerializer extends BaseSerializer<{}> {
  wrap = undefined

  definePaginationMetaData(metaData: unknown) {
    return metaData
  }
}

const agentApi = new AgentApiSerializer()
export default agentApi
