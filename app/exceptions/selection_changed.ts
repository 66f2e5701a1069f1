import Problem from '#exceptions/problem'

/**
 * A bulk action submitted after its filter's selection changed (items finished, moved or
 * arrived since the confirmation page counted them): nothing is done (409), and the page is
 * shown again with what the filter selects now.
 */
export default class SelectionChanged extends Problem {
  constructor(
    public confirmedCount: number,
    public current: { count: number; upto: number; digest: string }
  ) {
    super(
      409,
      'Conflict',
      `The selection changed since you confirmed it: ${confirmedCount} then, ${current.count} now. Nothing was done; check the new count and confirm again.`
    )
  }
}
