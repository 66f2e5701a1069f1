import type { ModelQueryBuilderContract, LucidModel } from '@adonisjs/lucid/types/model'

/** How many rows a list page shows. */
export const PER_PAGE = 50

type Cursor = { before?: number | null; after?: number | null }
type Query = Record<string, string | number | boolean | null | undefined>

/**
 * One page of a list ordered by a unique integer column (id, or a run log's seq), reached
 * from a cursor, `before` or `after` a value already seen, instead of an offset: every page,
 * however deep, is one index range scan of `perPage + 1` rows.
 */
export default class KeysetPage<Row> {
  private constructor(
    readonly rows: Row[],
    /** The cursor of the page that follows in display order, null on the last page. */
    readonly next: Cursor | null,
    /** The cursor of the page that precedes it, null on the first page. */
    readonly previous: Cursor | null
  ) {}

  static async fetch<Model extends LucidModel>(
    query: ModelQueryBuilderContract<Model>,
    options: Cursor & { column: string; order: 'asc' | 'desc'; perPage?: number; value: (row: InstanceType<Model>) => number }
  ): Promise<KeysetPage<InstanceType<Model>>> {
    const perPage = options.perPage ?? PER_PAGE
    const { column, order, value } = options
    // Walking backwards (towards the first page) reads in the opposite order, then flips.
    const backwards = order === 'desc' ? options.after != null : options.before != null
    const readOrder = backwards ? (order === 'desc' ? 'asc' : 'desc') : order
    if (options.before != null) query.where(column, '<', options.before)
    if (options.after != null) query.where(column, '>', options.after)
    const read = (await query.orderBy(column, readOrder).limit(perPage + 1)) as InstanceType<Model>[]
    const more = read.length > perPage
    const rows = more ? read.slice(0, perPage) : read
    if (backwards) rows.reverse()
    const cursorGiven = options.before != null || options.after != null
    const hasNext = backwards ? cursorGiven : more
    const hasPrevious = backwards ? more : cursorGiven
    const forward = order === 'desc' ? 'before' : 'after'
    const back = order === 'desc' ? 'after' : 'before'
    return new KeysetPage(
      rows,
      hasNext && rows.length > 0 ? { [forward]: value(rows[rows.length - 1]) } : null,
      hasPrevious && rows.length > 0 ? { [back]: value(rows[0]) } : null
    )
  }

  /** Links to the neighbouring pages, keeping the list's filters (for the pagination component). */
  links(path: string, filters: Query = {}) {
    const url = (cursor: Cursor | null) => {
      if (!cursor) return null
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(filters)) {
        if (value === undefined || value === null || value === '' || key === 'before' || key === 'after') continue
        params.set(key, String(value))
      }
      for (const [key, value] of Object.entries(cursor)) if (value != null) params.set(key, String(value))
      return `${path}?${params}`
    }
    return { next: url(this.next), prev: url(this.previous) }
  }
}
