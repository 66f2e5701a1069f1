import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'audit_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.timestamp('occurred_at').notNullable().defaultTo(this.now())
      table.enu('actor_type', ['system', 'agent', 'user']).notNullable()
      // Polymorphic (agent or user), so no foreign key: the trail outlives its actors.
      table.integer('actor_id').nullable()
      table.string('action', 100).notNullable()
      table.string('subject_type', 50).nullable()
      table.bigInteger('subject_id').nullable()
      // The trail outlives a deleted project; the id is kept in details by the writer.
      table
        .integer('project_id')
        .nullable()
        .references('id')
        .inTable('projects')
        .onDelete('SET NULL')
      table.jsonb('details').notNullable().defaultTo('{}')
      table.string('ip_address', 45).nullable()
    })
    this.schema.raw('create index audit_events_recent on audit_events (occurred_at desc, id desc)')
    this.schema.raw('create index audit_events_by_id on audit_events (id desc)')
    this.schema.raw('create index audit_events_project on audit_events (project_id, id desc)')
    this.schema.raw(
      'create index audit_events_subject on audit_events (subject_type, subject_id, id desc)'
    )
    this.schema.raw('create index audit_events_action on audit_events (action, id desc)')
    // Immutable: nothing may change an event, except the SET NULL of a deleted project.
    this.schema.raw(`
      create function audit_events_immutable() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          raise exception 'audit events are immutable' using errcode = 'check_violation';
        end if;
        if (new.occurred_at, new.actor_type, new.actor_id, new.action, new.subject_type,
            new.subject_id, new.details, new.ip_address)
           is distinct from
           (old.occurred_at, old.actor_type, old.actor_id, old.action, old.subject_type,
            old.subject_id, old.details, old.ip_address)
           or new.project_id is not null then
          raise exception 'audit events are immutable' using errcode = 'check_violation';
        end if;
        return new;
      end $$`)
    this.schema.raw(`
      create trigger audit_events_immutable before update or delete on audit_events
      for each row execute function audit_events_immutable()`)
  }

  async down() {
    this.schema.dropTable(this.tableName)
    this.schema.raw('drop function if exists audit_events_immutable()')
  }
}
