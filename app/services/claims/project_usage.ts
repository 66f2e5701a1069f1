import db from '@adonisjs/lucid/services/db'

/** A maintained gate fact that differs from what its source rows say. */
export type UsageDrift = {
  projectId: number
  fact: 'wip' | 'spent_usd'
  /** The UTC month, for spent_usd. */
  month: string | null
  stored: number | null
  actual: number
}

/**
 * The claim gates' maintained facts (project_wip, project_usage; docs/claiming.md), checked
 * against the items and runs they summarise. Triggers keep them current; this finds drift
 * left by anything that bypassed them (a restore, a hand edit) and repairs it.
 */
export default class ProjectUsage {
  /** Every difference between the stored facts and a recount, read in one snapshot. */
  static async drift(): Promise<UsageDrift[]> {
    return this.#run(false)
  }

  /**
   * Recounts everything and stores it, holding writers of items and runs still meanwhile so
   * the recount is exact. Returns what was wrong before.
   */
  static async repair(): Promise<UsageDrift[]> {
    return db.transaction(async (trx) => this.#run(true, trx))
  }

  static async #run(repair: boolean, client = db.connection()): Promise<UsageDrift[]> {
    const { rows } = await client.rawQuery(
      `select project_id, fact, to_char(month, 'YYYY-MM') as month, stored, actual
         from project_usage_drift(?)`,
      [repair]
    )
    return rows.map((row: Record<string, any>) => ({
      projectId: row.project_id,
      fact: row.fact,
      month: row.month,
      stored: row.stored === null ? null : Number(row.stored),
      actual: Number(row.actual),
    }))
  }
}
