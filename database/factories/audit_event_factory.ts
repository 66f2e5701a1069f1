import factory from '@adonisjs/lucid/factories'
import AuditEvent from '#models/audit_event'

export const AuditEventFactory = factory
  .define(AuditEvent, ({ faker }) => ({
    actorType: 'system' as const,
    action: faker.helpers.arrayElement(['project.updated', 'work_item.claimed', 'gate.failed']),
    details: { note: faker.lorem.words(3) },
  }))
  .build()
