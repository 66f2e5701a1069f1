import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'

/** How many rows a list page shows. */
export const PER_PAGE = 50

/**
 * Cursors in display order: `?after=<key>` walks on to the rows shown after that one (older,
 * in a newest-first list; later lines, in a log), `?before=<key>` back to the rows before it.
 */
export type Cursor = { after?: number; before?: number }

export const cursorValidator = vine.create({
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
  before: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
})

type Options<Row> = {
  perPage?: number
  /** A unique integer column the list is ordered by (default `id`). */
  column?: string
  /** Newest first (default) or in sequence (a run's log by seq). */
  order?: 'desc' | 'asc'
  /** The row's value of `column` (default its id). */
  key?: (row: Row) => number
}

/**
 * One page of a list, fetched by keyset: the query seeks from the cursor along an index of
 * `column` instead of counting an offset, so page 1,000 costs what page 1 does. Filters are
 * the caller's; the cursors only carry keys.
 */
export default class KeysetPage<Row> {
  constructor(
    readonly rows: Row[],
    /** Key to pass as `before` for the preceding page, or null on the first page. */
    readonly newerThan: number | null,
    /** Key to pass as `after` for the following page, or null on the last page. */
    readonly olderThan: number | null
  ) {}

  static async fetch<Model extends LucidModel, Row extends InstanceType<Model>>(
    query: ModelQueryBuilderContract<Model, Row>,
    cursor: Cursor,
    options: Options<Row> = {}
  ): Promise<KeysetPage<Row>> {
    const perPage = options.perPage ?? PER_PAGE
    const column = options.column ?? 'id'
    const key = options.key ?? ((row: Row) => Number((row as unknown as { id: number }).id))
    const qualified = column.includes('.') ? column : `${query.model.table}.${column}`
    const descending = (options.order ?? 'desc') === 'desc'
    // Comparisons and order "forwards" (in display order) and "backwards".
    const [afterOp, beforeOp] = descending ? ['<', '>'] : ['>', '<']
    const [forwards, backwards] = descending
      ? (['desc', 'asc'] as const)
      : (['asc', 'desc'] as const)

    if (cursor.before !== undefined) {
      const preceding = await query
        .where(qualified, beforeOp, cursor.before)
        .orderBy(qualified, backwards)
        .limit(perPage + 1)
      const more = preceding.length > perPage
      const rows = preceding.slice(0, perPage).reverse()
      return new KeysetPage(
        rows,
        more ? key(rows[0]) : null,
        rows.length ? key(rows[rows.length - 1]) : cursor.before
      )
    }
    if (cursor.after !== undefined) query.where(qualified, afterOp, cursor.after)
    const following = await query.orderBy(qualified, forwards).limit(perPage + 1)
    const more = following.length > perPage
    const rows = following.slice(0, perPage)
    const newerThan =
      cursor.after !== undefined ? (rows.length ? key(rows[0]) : cursor.after) : null
    return new KeysetPage(rows, newerThan, more ? key(rows[rows.length - 1]) : null)
  }

  /** Prev/next URLs for the pagination component, keeping the page's other query parameters. */
  links(path: string, params: Record<string, unknown> = {}) {
    const kept = Object.entries(params).filter(
      ([key, value]) =>
        key !== 'after' && key !== 'before' && value !== undefined && value !== null && value !== ''
    )
    const url = (extra: [string, number]) => {
      const query = new URLSearchParams(
        kept.map(([key, value]) => [key, String(value)] as [string, string])
      )
      query.set(extra[0], String(extra[1]))
      return `${path}?${query}`
    }
    return {
      prev: this.newerThan !== null ? url(['before', this.newerThan]) : null,
      next: this.olderThan !== null ? url(['after', this.olderThan]) : null,
    }
  }
}
