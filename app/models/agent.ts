import { DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'
import { hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { AgentSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'
import WorkItem from '#models/work_item'

/** What an agent accepts: work types (`*` for all) and free tags. */
export type AgentCapabilities = { work_types: string[]; tags: string[] }

export default class Agent extends AgentSchema {
  /** Bearer tokens (`gha_…`): only sha256 of the secret is stored; shown once when issued. */
  static accessTokens = DbAccessTokensProvider.forModel(Agent, {
    table: 'agent_access_tokens',
    type: 'agent_token',
    prefix: 'gha_',
  })

  @jsonColumn()
  declare capabilities: AgentCapabilities

  @hasMany(() => Run)
  declare runs: HasMany<typeof Run>

  @hasMany(() => WorkItem, { foreignKey: 'assignedAgentId' })
  declare pinnedWorkItems: HasMany<typeof WorkItem>

  @hasMany(() => WorkItem, { foreignKey: 'lockedByAgentId' })
  declare lockedWorkItems: HasMany<typeof WorkItem>

  accepts(workType: string) {
    const types = this.capabilities?.work_types ?? []
    return types.includes('*') || types.includes(workType)
  }
}
