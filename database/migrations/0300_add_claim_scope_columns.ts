import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Claim predicates that narrow who may take an item: an agent limited to some projects (empty =
 * every project), and retry affinity (a rejected item goes first to the agent whose attempt was
 * rejected, until `affinity_until`).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`alter table agents add column project_ids integer[] not null default '{}'`)
    this.schema.raw(`
      alter table work_items
        add column affinity_agent_id integer references agents (id) on delete set null,
        add column affinity_until timestamptz,
        add constraint work_items_affinity_pair
          check ((affinity_agent_id is null) = (affinity_until is null))`)
  }

  async down() {
    this.schema.raw(`alter table work_items drop constraint if exists work_items_affinity_pair`)
    this.schema.raw(
      `alter table work_items drop column if exists affinity_agent_id, drop column if exists affinity_until`
    )
    this.schema.raw(`alter table agents drop column if exists project_ids`)
  }
}
