import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import BarChart from '#presenters/bar_chart'
import ClaimOutlook from '#services/claims/claim_outlook'

/**
 * Everything the dashboard shows, read in a handful of index-backed queries: the claim
 * outlook (global and per project), agents' load, runs finished per hour and recent events.
 */
export default class DashboardSnapshot {
  static async take() {
    const [globalOutlook, projects, agents, hours, recentEvents, changedAfterAcceptance] =
      await Promise.all([
        ClaimOutlook.global(),
        ClaimOutlook.forProjects({ limit: 50 }),
        this.#agents(),
        this.#runsFinishedPerHour(),
        AuditEvent.query().orderBy('id', 'desc').limit(15),
        // Accepted runs whose pull request got new commits: their verdict no longer covers it.
        Run.query()
          .whereNotNull('prChangedAt')
          .preload('workItem')
          .orderBy('prChangedAt', 'desc')
          .limit(20),
      ])

    const queueChart = BarChart.stacked(
      projects.map((project) => ({
        label: project.slug.length > 14 ? `${project.slug.slice(0, 13)}…` : project.slug,
        segments: [
          { name: 'pending', value: project.queue.pending, className: 'bar-pending' },
          { name: 'in progress', value: project.queue.in_progress, className: 'bar-in_progress' },
          { name: 'verifying', value: project.queue.verifying, className: 'bar-verifying' },
          { name: 'blocked', value: project.queue.blocked, className: 'bar-blocked' },
        ],
      })),
      { height: 180 }
    )
    const runsChart = BarChart.stacked(
      hours.map((hour) => ({
        label: hour.hour.toUTC().toFormat('HH'),
        segments: [
          { name: 'succeeded', value: hour.succeeded, className: 'bar-succeeded' },
          { name: 'failed or timed out', value: hour.failed, className: 'bar-failed' },
          { name: 'cancelled or released', value: hour.other, className: 'bar-other' },
        ],
      })),
      { height: 180, labelEvery: 3 }
    )

    return {
      globalOutlook,
      projects,
      blockedProjects: projects.filter((project) => project.blockers.length > 0),
      pendingItems: projects.reduce((sum, project) => sum + project.queue.pending, 0),
      agents,
      queueChart,
      runsChart,
      recentEvents,
      changedAfterAcceptance,
      recentActors: await AuditEvent.actorNames(recentEvents),
    }
  }

  /** Enabled agents first, then by name, each with its load. */
  static async #agents() {
    return Agent.query()
      .withScopes((scopes) => scopes.withLoad())
      .orderBy('enabled', 'desc')
      .orderBy('name')
      .orderBy('id')
      .limit(50)
  }

  /** The last 24 clock hours (UTC), oldest first, each with its finished runs by outcome. */
  static async #runsFinishedPerHour(): Promise<
    { hour: DateTime; succeeded: number; failed: number; other: number }[]
  > {
    const { rows } = await db.rawQuery(
      `select h.hour,
              count(r.id) filter (where r.status = 'succeeded')::int as succeeded,
              count(r.id) filter (where r.status in ('failed', 'timed_out'))::int as failed,
              count(r.id) filter (where r.status in ('cancelled', 'released'))::int as other
         from generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') as h(hour)
         left join runs r on r.finished_at >= h.hour and r.finished_at < h.hour + interval '1 hour'
        group by h.hour
        order by h.hour`
    )
    return rows.map((row: any) => ({
      hour: DateTime.fromJSDate(row.hour),
      succeeded: row.succeeded,
      failed: row.failed,
      other: row.other,
    }))
  }
}
