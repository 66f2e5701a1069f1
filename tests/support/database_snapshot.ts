import db from '@adonisjs/lucid/services/db'

/**
 * Everything the maintainers' commands may write, to assert that a failed command changed
 * nothing: whole rows of the small tables, counts of the append-only ones.
 */
export async function databaseSnapshot() {
  const rows = (table: string) => db.from(table).orderBy('id').select('*')
  const count = async (table: string) => {
    const [row] = await db.from(table).count('* as n')
    return Number(row.n)
  }
  return {
    agents: await rows('agents'),
    agentAccessTokens: await rows('agent_access_tokens'),
    users: await rows('users'),
    projects: await count('projects'),
    workItems: await count('work_items'),
    runs: await count('runs'),
    auditEvents: await count('audit_events'),
  }
}
