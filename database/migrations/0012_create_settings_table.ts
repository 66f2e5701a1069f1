import { BaseSchema } from '@adonisjs/lucid/schema'

/** Global switches (spec §1), one row per known key. */
export default class extends BaseSchema {
  protected tableName = 'settings'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('key', 64).primary()
      table.jsonb('value').notNullable()
      table
        .integer('updated_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      `alter table settings add constraint settings_known_key check (key in ('agents_enabled', 'max_parallel_runs'))`
    )
    this.schema.raw(`
      alter table settings add constraint settings_value_type check (
        (key = 'agents_enabled' and jsonb_typeof(value) = 'boolean') or
        (key = 'max_parallel_runs' and (value = 'null'::jsonb or (jsonb_typeof(value) = 'number' and (value)::text::numeric >= 1)))
      )`)
    this.defer(async (db) => {
      await db.table(this.tableName).multiInsert([
        { key: 'agents_enabled', value: JSON.stringify(true) },
        { key: 'max_parallel_runs', value: JSON.stringify(null) },
      ])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
