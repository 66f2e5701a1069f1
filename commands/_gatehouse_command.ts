import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { errors as vineErrors } from '@vinejs/vine'

/**
 * What Gatehouse's operator commands share: they boot the app, print one JSON document with
 * --json (for scripts) or lines for people, and a refusal is exit code 1 with its reason.
 * (Ace's loader skips files starting with `_`: this one is no command of its own.)
 */
export default abstract class GatehouseCommand extends BaseCommand {
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print the outcome as JSON' })
  declare json: boolean

  /** The outcome: one JSON document with --json, otherwise what `forPeople` prints. */
  protected output(outcome: unknown, forPeople: () => void) {
    if (this.json) this.logger.log(JSON.stringify(outcome))
    else forPeople()
  }

  /**
   * Refuses: exit code 1 and the reason, as `{ error, ...details }` with --json; otherwise the
   * lines `forPeople` prints first (e.g. each problem), then the reason.
   */
  protected fail(reason: string, details: Record<string, unknown> = {}, forPeople?: () => void) {
    this.exitCode = 1
    if (this.json) return this.logger.log(JSON.stringify({ error: reason, ...details }))
    forPeople?.()
    this.logger.error(reason)
  }

  /** Input that fails a validator is a refusal naming each problem, not a stack trace. */
  async completed() {
    if (!(this.error instanceof vineErrors.E_VALIDATION_ERROR)) return false
    const messages = this.error.messages as { field: string; message: string }[]
    this.fail(messages.map((problem) => this.describeInvalid(problem)).join('; '))
    return true
  }

  /** How one validation problem reads; commands name their own flags here. */
  protected describeInvalid(problem: { field: string; message: string }) {
    return problem.message
  }
}
