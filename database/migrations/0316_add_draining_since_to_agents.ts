import { BaseSchema } from '@adonisjs/lucid/schema'

/** Drain (spec issue 15): since when an agent finishes what it runs but claims nothing new. */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`alter table agents add column draining_since timestamptz`)
  }

  async down() {
    this.schema.raw(`alter table agents drop column if exists draining_since`)
  }
}
