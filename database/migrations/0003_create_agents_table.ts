import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'agents'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('key', 64).notNullable().unique()
      table.string('name').notNullable()
      table.text('description').notNullable().defaultTo('')
      table.jsonb('capabilities').notNullable().defaultTo('{"work_types":["*"],"tags":[]}')
      table.string('model_name').nullable()
      table.string('model_version').nullable()
      table.integer('max_concurrency').notNullable().defaultTo(1)
      table.boolean('enabled').notNullable().defaultTo(true)
      table.timestamp('last_seen_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      `alter table agents add constraint agents_key_format check (key ~ '^[a-z0-9]+([-_][a-z0-9]+)*$')`
    )
    this.schema.raw(
      'alter table agents add constraint agents_max_concurrency_positive check (max_concurrency >= 1)'
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
