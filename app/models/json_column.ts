import { column } from '@adonisjs/lucid/orm'

/**
 * A jsonb column. pg sends JS arrays as Postgres arrays, so values are serialised here;
 * SQL NULL stays NULL rather than becoming the JSON literal null.
 */
export function jsonColumn(options: { serializeAs?: string | null } = {}) {
  return column({
    ...options,
    prepare: (value: unknown) =>
      value === null || value === undefined ? value : JSON.stringify(value),
  })
}
