import { BaseSchema } from '@adonisjs/lucid/schema'

const EVENTS = [
  'question.asked',
  'item.needs_human',
  'run.rejected',
  'item.completed',
  'budget.threshold',
  'default_branch.red',
  'default_branch.green',
  'kill_switch.changed',
]
const EVENT_LIST = EVENTS.map((event) => `'${event}'`).join(', ')

/**
 * Notifications (issue 12 item 6, docs/notifications.md): `slack` and `webhook` integrations
 * receive Gatehouse's events. The event's transaction inserts one delivery per matching
 * integration and enqueues its job (publish_notification); each attempt is recorded.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('integrations', (table) => {
      // A webhook's address (not a secret); the signing secret stays in the encrypted value.
      table.text('url').nullable()
      // The events delivered to the integration; null: all of them, future ones included.
      table.specificType('notification_events', 'text[]').nullable()
    })
    this.schema.raw(
      `alter table integrations add constraint integrations_url_check
         check (url is null or (url ~ '^(http|https)://' and length(url) <= 2000))`
    )
    this.schema.raw(
      `alter table integrations add constraint integrations_notification_events_check
         check (notification_events <@ array[${EVENT_LIST}]::text[])`
    )

    this.schema.createTable('notification_deliveries', (table) => {
      table.increments('id')
      // X-Gatehouse-Delivery: kept across retries and redeliveries, so receivers can dedupe.
      table.uuid('delivery_uuid').notNullable().unique().defaultTo(this.raw('gen_random_uuid()'))
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table
        .integer('integration_id')
        .notNullable()
        .references('id')
        .inTable('integrations')
        .onDelete('CASCADE')
      table.text('event').notNullable()
      table.jsonb('data').notNullable()
      table.timestamp('occurred_at').notNullable().defaultTo(this.now())
      table.enu('status', ['pending', 'delivered', 'failed']).notNullable().defaultTo('pending')
      table.integer('attempts').notNullable().defaultTo(0)
      table.integer('last_status_code').nullable()
      table.text('last_error').nullable()
      table.timestamp('last_attempt_at').nullable()
      table.timestamp('delivered_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      `alter table notification_deliveries add constraint notification_deliveries_event_check
         check (event in (${EVENT_LIST}))`
    )
    // An integration's deliveries, newest first, by keyset (the integration page).
    this.schema.raw(
      `create index notification_deliveries_integration on notification_deliveries (integration_id, id desc)`
    )

    this.schema.createTable('notification_delivery_attempts', (table) => {
      table.increments('id')
      table
        .integer('notification_delivery_id')
        .notNullable()
        .references('id')
        .inTable('notification_deliveries')
        .onDelete('CASCADE')
      table.integer('attempt').notNullable()
      table.timestamp('attempted_at').notNullable().defaultTo(this.now())
      table.integer('status_code').nullable()
      table.integer('duration_ms').notNullable()
      table.text('error').nullable()
      table.unique(['notification_delivery_id', 'attempt'])
    })

    // budget.threshold is sent once per project, month and threshold.
    this.schema.createTable('budget_threshold_notices', (table) => {
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table.date('month').notNullable()
      table.integer('percent').notNullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.primary(['project_id', 'month', 'percent'])
    })

    this.schema.raw(`
-- The fan-out, in one place for the Notifier and for triggers: one delivery per active slack
-- or webhook (with a URL) integration whose filter takes the event, each with its job, in the
-- caller's transaction. A null project: every project (the kill switch is global).
-- 13 attempts: graphile-worker waits exp(min(attempts, 10)) s after each failed one, so the
-- 13th comes about 21.9 h after the first (sum of e^1..e^9, then 3 x e^10), a 14th would come at 28 h.
create function publish_notification(for_project integer, event text, data jsonb)
  returns integer language plpgsql as $$
declare
  published integer;
begin
  with deliveries as (
    insert into notification_deliveries (project_id, integration_id, event, data)
    select i.project_id, i.id, publish_notification.event, publish_notification.data
      from integrations i
     where (for_project is null or i.project_id = for_project)
       and i.status = 'active'
       and (i.kind = 'slack' or (i.kind = 'webhook' and i.url is not null))
       and (i.notification_events is null or publish_notification.event = any (i.notification_events))
    returning id
  )
  select count(graphile_worker.add_job('deliver_notification',
                 json_build_object('deliveryId', id), max_attempts => 13))
    into published from deliveries;
  return published;
end $$;

-- budget.threshold: project_usage is counted at commit by deferred triggers (0410), so its row
-- change is the exact, serialised moment a month's spend reaches 80 % or 100 % of
-- monthly_budget_usd. Only the current month notifies (a recount of old months stays quiet).
create function project_usage_notify_budget() returns trigger
  language plpgsql as $$
declare
  budget numeric;
  percent integer;
begin
  if new.month <> usage_month(now()) then
    return null;
  end if;
  select gate_limit(gates_config -> 'monthly_budget_usd') into budget from projects where id = new.project_id;
  if budget is null or budget = 0 then
    return null;
  end if;
  foreach percent in array array[80, 100] loop
    if new.spent_usd >= budget * percent / 100 then
      insert into budget_threshold_notices (project_id, month, percent)
      values (new.project_id, new.month, percent) on conflict do nothing;
      if found then
        perform publish_notification(new.project_id, 'budget.threshold', jsonb_build_object(
          'percent', percent, 'month', to_char(new.month, 'YYYY-MM'),
          'spent_usd', new.spent_usd, 'budget_usd', budget));
      end if;
    end if;
  end loop;
  return null;
end $$;

create trigger project_usage_notify_budget after insert or update of spent_usd on project_usage
  for each row execute function project_usage_notify_budget();
`)
  }

  async down() {
    this.schema.raw(`
drop trigger if exists project_usage_notify_budget on project_usage;
drop function if exists project_usage_notify_budget();
drop function if exists publish_notification(integer, text, jsonb);
`)
    this.schema.dropTable('budget_threshold_notices')
    this.schema.dropTable('notification_delivery_attempts')
    this.schema.dropTable('notification_deliveries')
    this.schema.alterTable('integrations', (table) => {
      table.dropColumn('notification_events')
      table.dropColumn('url')
    })
  }
}
