import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `runs:reap`: what the every-minute job does, once, on demand. */
export default class RunsReap extends BaseCommand {
  static commandName = 'runs:reap'
  static description =
    'Time out runs whose lease expired or that passed max_run_seconds, and return their items'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { default: RunReaper } = await import('#services/runs/run_reaper')
    const reaped = await RunReaper.reap()
    if (reaped.length === 0) {
      this.logger.info('No run to reap')
      return
    }
    const table = this.ui.table()
    table.head(['Run', 'Work item', 'Reason', 'Item now'])
    for (const run of reaped) {
      table.row([String(run.runId), String(run.workItemId), run.reason, run.workItemStatus])
    }
    table.render()
    this.logger.success(`Reaped ${reaped.length} run(s)`)
  }
}
