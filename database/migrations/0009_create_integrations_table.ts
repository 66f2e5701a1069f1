import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'integrations'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table.enu('kind', ['github', 'slack', 'webhook']).notNullable()
      table.string('name').notNullable()
      // Ciphertext of the secret (APP_KEY, AES-256-GCM); never rendered back.
      table.text('value').notNullable()
      table.enu('status', ['active', 'inactive']).notNullable().defaultTo('active')
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
      table.unique(['project_id', 'kind', 'name'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
