import Problem from '#exceptions/problem'

/**
 * A state change the lifecycle of spec §2 does not allow from the current state (409).
 * Raised inside the transaction, so nothing of the attempted change is kept.
 */
export default class InvalidTransition extends Problem {
  constructor(detail: string) {
    super(409, 'Conflict', detail)
  }
}
