import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import vine from '@vinejs/vine'

/** `?after=<id>` walks to older rows, `?before=<id>` back to newer ones. */
export type Cursor = { after?: number; before?: number }

export const cursorValidator = vine.create({
  after: vine.number().withoutDecimals().min(0).optional(),
  before: vine.number().withoutDecimals().min(0).optional(),
})

/**
 * One page of a list shown newest first (id descending), fetched by keyset: the query seeks
 * from the cursor along the primary key instead of counting an offset, so page 1,000 costs what
 * page 1 does. Filters are the caller's; the cursors only carry ids.
 */
export default class KeysetPage<Row extends { id: number }> {
  constructor(
    readonly rows: Row[],
    /** Id to pass as `before` for the newer page, or null on the first page. */
    readonly newerThan: number | null,
    /** Id to pass as `after` for the older page, or null on the last page. */
    readonly olderThan: number | null
  ) {}

  static async fetch<Model extends LucidModel, Row extends InstanceType<Model> & { id: number }>(
    query: ModelQueryBuilderContract<Model, Row>,
    cursor: Cursor,
    perPage = 50,
    column = 'id'
  ): Promise<KeysetPage<Row>> {
    const qualified = column.includes('.') ? column : `${query.model.table}.${column}`
    if (cursor.before !== undefined) {
      const newer = await query.where(qualified, '>', cursor.before).orderBy(qualified, 'asc').limit(perPage + 1)
      const more = newer.length > perPage
      const rows = newer.slice(0, perPage).reverse()
      return new KeysetPage(rows, more ? rows[0].id : null, rows.length ? rows[rows.length - 1].id : cursor.before)
    }
    if (cursor.after !== undefined) query.where(qualified, '<', cursor.after)
    const older = await query.orderBy(qualified, 'desc').limit(perPage + 1)
    const more = older.length > perPage
    const rows = older.slice(0, perPage)
    const newerThan = cursor.after !== undefined ? (rows[0]?.id ?? cursor.after) : null
    return new KeysetPage(rows, newerThan, more ? rows[rows.length - 1].id : null)
  }

  /** Prev/next URLs for the pagination component, keeping the page's other query parameters. */
  links(path: string, params: Record<string, unknown> = {}) {
    const kept = Object.entries(params).filter(
      ([key, value]) => key !== 'after' && key !== 'before' && value !== undefined && value !== null && value !== ''
    )
    const url = (extra: [string, number]) => {
      const query = new URLSearchParams(kept.map(([key, value]) => [key, String(value)] as [string, string]))
      query.set(extra[0], String(extra[1]))
      return `${path}?${query}`
    }
    return {
      prev: this.newerThan !== null ? url(['before', this.newerThan]) : null,
      next: this.olderThan !== null ? url(['after', this.olderThan]) : null,
    }
  }
}
