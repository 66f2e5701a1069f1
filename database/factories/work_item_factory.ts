import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import WorkItem from '#models/work_item'
import { ProjectFactory } from '#database/factories/project_factory'
import { RunFactory } from '#database/factories/run_factory'

export const WorkItemFactory = factory
  .define(WorkItem, ({ faker }) => ({
    workType: 'code',
    title: faker.hacker.phrase(),
    payload: { body: faker.lorem.paragraph() },
    status: 'pending' as const,
    priority: 0,
    attempts: 0,
    source: 'manual' as const,
  }))
  // Due already (unless a run_after was merged): a claim takes only items whose run_after has passed.
  .state('due', (item) => {
    if (item.runAfter === undefined) item.runAfter = DateTime.now().minus({ seconds: 1 })
  })
  .relation('project', () => ProjectFactory)
  .relation('runs', () => RunFactory)
  .build()
