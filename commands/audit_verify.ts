import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `audit:verify`: walks the audit hash chain and names the first altered or missing event. */
export default class AuditVerify extends BaseCommand {
  static commandName = 'audit:verify'
  static description = 'Check the audit hash chain; name the first altered or missing event'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { default: AuditChain } = await import('#services/audit/audit_chain')
    const report = await AuditChain.verify()
    if (!report.broken) {
      this.logger.success(
        `Audit chain intact: ${report.checked} event(s); head hash ${report.headHash ?? '(empty)'}`
      )
      return
    }
    const { eventId, chainSeq, problem } = report.broken
    const what = {
      altered: 'was altered (its content does not match its hash)',
      missing_before: `follows a gap: the event(s) before chain position ${chainSeq} are missing`,
      relinked: "does not link to its predecessor's hash",
    }[problem]
    this.logger.error(
      `Audit chain broken at event ${eventId} (chain position ${chainSeq}): it ${what}; ${report.checked} event(s) before it verified`
    )
    this.exitCode = 1
  }
}
