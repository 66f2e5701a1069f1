import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/** The Postgres channel on which waiting claims learn that something may have become claimable. */
export const CLAIMABLE_CHANNEL = 'gatehouse_claimable'

/** What became claimable, as far as the announcer knows; null parts mean "any". */
export type ClaimableWork = { workType?: string | null; agentId?: number | null }

/**
 * Tells long-polling claimers (in every process) to look again. Sent through the caller's
 * transaction, so Postgres delivers it only on commit: call it from every change that can
 * make an item claimable (created, requeued, released, reaped, dependency completed, gate
 * reopened, agent enabled, kill switch turned off). Triggers announce a freed WIP slot
 * (work_items_count_wip); the month's first minute announces rolled-over budgets.
 * Naming the work type or the only agent that may take it wakes only waiters who could.
 */
export default class Claimable {
  static async announce(
    trx: TransactionClientContract,
    projectId?: number | null,
    work: ClaimableWork = {}
  ) {
    await trx.rawQuery('select pg_notify(?, ?)', [
      CLAIMABLE_CHANNEL,
      announcementPayload(projectId ?? null, work),
    ])
  }
}

/** `projectId[:workType[:agentId]]`, empty parts for "any"; '' announces to everyone. */
export function announcementPayload(projectId: number | null, work: ClaimableWork = {}) {
  const parts = [
    projectId ? String(projectId) : '',
    work.workType ?? '',
    work.agentId ? String(work.agentId) : '',
  ]
  return parts.join(':').replace(/:+$/, '')
}

export function parseAnnouncement(payload: string) {
  const [project, workType, agent] = payload.split(':')
  const projectId = Number(project)
  const agentId = Number(agent)
  return {
    projectId: Number.isInteger(projectId) && projectId > 0 ? projectId : null,
    workType: workType || null,
    agentId: Number.isInteger(agentId) && agentId > 0 ? agentId : null,
  }
}
