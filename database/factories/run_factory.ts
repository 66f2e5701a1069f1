import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import Run from '#models/run'
import { AgentFactory } from '#database/factories/agent_factory'
import { RunLogFactory } from '#database/factories/run_log_factory'

/** A run needs its work item's project: `RunFactory.merge({ projectId })` or build via WorkItemFactory.with('runs'). */
export const RunFactory = factory
  .define(Run, () => ({
    attempt: 1,
    status: 'running' as const,
    startedAt: DateTime.now(),
    leaseExpiresAt: DateTime.now().plus({ minutes: 10 }),
    costUsd: 0,
    gateResults: [],
  }))
  .before('create', async (_, run) => {
    // Runs created through a work item inherit its project.
    if (!run.projectId && run.workItemId) {
      const { default: WorkItem } = await import('#models/work_item')
      const workItem = await WorkItem.findOrFail(run.workItemId)
      run.projectId = workItem.projectId
    }
  })
  .relation('agent', () => AgentFactory)
  .relation('logs', () => RunLogFactory)
  .build()
