import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { AgentSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import AgentTokensProvider from '#services/agent_tokens_provider'

/** How fresh `last_seen_at` is kept. */
const SEEN_EVERY_SECONDS = 30

/** What an agent accepts: work types (`*` for all) and free tags. */
export type AgentCapabilities = { work_types: string[]; tags: string[] }

export default class Agent extends AgentSchema {
  /** Bearer tokens (`gha_…`): only sha256 of the secret is stored; shown once when issued. */
  static accessTokens = new AgentTokensProvider({
    tokenableModel: Agent,
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

  /**
   * Records that the agent was seen, at most every 30 s: the check against the row already
   * loaded costs nothing, and the conditional update keeps concurrent requests from piling up.
   */
  async markSeen() {
    if (this.lastSeenAt && this.lastSeenAt > DateTime.now().minus({ seconds: SEEN_EVERY_SECONDS })) return
    await db.rawQuery(
      `update agents set last_seen_at = now()
        where id = ? and (last_seen_at is null or last_seen_at < now() - make_interval(secs => ?))`,
      [this.id, SEEN_EVERY_SECONDS]
    )
  }

  accepts(workType: string) {
    const types = this.capabilities?.work_types ?? []
    return types.includes('*') || types.includes(workType)
  }
}
