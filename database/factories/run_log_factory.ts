import factory from '@adonisjs/lucid/factories'
import RunLog from '#models/run_log'

export const RunLogFactory = factory
  .define(RunLog, ({ faker }) => ({
    seq: faker.number.int({ min: 1, max: 1_000_000 }),
    level: 'info' as const,
    stream: 'stdout' as const,
    message: faker.hacker.phrase(),
  }))
  .build()
