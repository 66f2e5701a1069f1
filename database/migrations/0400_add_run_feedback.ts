import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What GitHub said against a run (failing checks with annotations, change requests with
 * comments), kept with its verdict so the next attempt's claim answer carries it without a
 * call to GitHub (docs/run-lifecycle.md, "Feedback").
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('alter table runs add column feedback jsonb')
  }

  async down() {
    this.schema.raw('alter table runs drop column if exists feedback')
  }
}
