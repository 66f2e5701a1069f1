import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Project API keys (`ghk_…`): bearer tokens of integrations that manage one project's work
 * items, with scopes (`items:read`, `items:write`) as abilities. Only sha256 of the secret is
 * stored. Their changes are audited with the key as actor (`api_key`).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('project_api_keys', (table) => {
      table.increments('id')
      table
        .integer('tokenable_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table.string('type').notNullable()
      table.string('name').nullable()
      table.string('hash').notNullable()
      table.text('abilities').notNullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
      table.timestamp('last_used_at').nullable()
      table.timestamp('expires_at').nullable()
      table.index(['tokenable_id'])
    })
    this.schema.raw(`
      alter table audit_events drop constraint audit_events_actor_type_check,
        add constraint audit_events_actor_type_check
          check (actor_type in ('system', 'agent', 'user', 'api_key'))`)
  }

  async down() {
    this.schema.raw(`
      alter table audit_events drop constraint audit_events_actor_type_check,
        add constraint audit_events_actor_type_check
          check (actor_type in ('system', 'agent', 'user'))`)
    this.schema.dropTable('project_api_keys')
  }
}
