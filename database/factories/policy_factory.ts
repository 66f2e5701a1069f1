import factory from '@adonisjs/lucid/factories'
import Policy from '#models/policy'

export const PolicyFactory = factory
  .define(Policy, ({ faker }) => ({
    key: faker.helpers.arrayElement(['max_attempts', 'lease_seconds', 'retry_backoff_seconds']),
    value: faker.number.int({ min: 1, max: 600 }),
  }))
  .build()
