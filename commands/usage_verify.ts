import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `usage:verify [--repair]`: the claim gates' maintained counts against a recount. */
export default class UsageVerify extends BaseCommand {
  static commandName = 'usage:verify'
  static description =
    "Recount projects' WIP and month spend from items and runs and report (or --repair) drift"
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Store the recounted values' })
  declare repair: boolean

  async run() {
    const { default: ProjectUsage } = await import('#services/claims/project_usage')
    const drift = this.repair ? await ProjectUsage.repair() : await ProjectUsage.drift()
    if (drift.length === 0) {
      this.logger.success('Project usage matches items and runs')
      return
    }
    const table = this.ui.table()
    table.head(['Project', 'Fact', 'Month', 'Stored', 'Recounted'])
    for (const row of drift) {
      table.row([
        String(row.projectId),
        row.fact,
        row.month ?? '',
        row.stored === null ? 'missing' : String(row.stored),
        String(row.actual),
      ])
    }
    table.render()
    if (this.repair) {
      this.logger.success(`Repaired ${drift.length} drifted fact(s)`)
    } else {
      this.logger.error(`${drift.length} drifted fact(s); run usage:verify --repair to fix them`)
      this.exitCode = 1
    }
  }
}
