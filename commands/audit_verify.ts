import GatehouseCommand from './_gatehouse_command.js'

/**
 * `audit:verify [--json]`: seals the events still waiting for their seal, then walks the audit
 * hash chain (docs/security.md, "Tamper-evident audit chain"). Exit 0: the chain is intact
 * and was up to date; 1: an event was altered or is missing, or the chain itself was cut or
 * relinked; 2: intact, but events had waited more than 5 minutes for their seal (the
 * seal_audit_events cron is not running).
 */
export default class AuditVerify extends GatehouseCommand {
  static commandName = 'audit:verify'
  static description =
    'Seal pending audit events, then check the hash chain; name the first altered or missing event'

  async run() {
    const { default: AuditChain } = await import('#services/audit/audit_chain')
    let sealing: Awaited<ReturnType<typeof AuditChain.seal>> | undefined
    let report: Awaited<ReturnType<typeof AuditChain.verify>> | undefined
    if (this.json) {
      sealing = await AuditChain.seal({ full: true })
      report = await AuditChain.verify()
    } else {
      const tasks = this.ui.tasks()
      tasks.add('Seal pending audit events', async (task) => {
        sealing = await AuditChain.seal({
          full: true,
          onProgress: (sealed) => task.update(`${sealed} sealed`),
        })
        return `${sealing.sealed} event(s) sealed`
      })
      tasks.add('Walk the hash chain', async (task) => {
        report = await AuditChain.verify((checked, total) =>
          task.update(`${progressBar(checked, total)} ${checked} of ${total}`)
        )
        return `${report.checked} seal(s) checked`
      })
      await tasks.run()
    }
    const outcome = { ...sealing!, ...report! }
    const { altered, missing, brokenLink, head } = outcome

    const findings: string[] = []
    if (altered) {
      findings.push(
        `event ${altered.eventId} (seal ${altered.seq}) was altered: its content no longer matches its hash` +
          (outcome.alteredCount > 1 ? ` (${outcome.alteredCount} altered in all)` : '')
      )
    }
    if (missing) {
      findings.push(
        `event ${missing.eventId} (seal ${missing.seq}) is missing: its row was deleted` +
          (outcome.missingCount > 1 ? ` (${outcome.missingCount} missing in all)` : '')
      )
    }
    if (brokenLink) {
      findings.push(
        `the chain is broken at seal ${brokenLink.seq} (event ${brokenLink.eventId}): it does not follow the seal before it`
      )
    }
    if (findings.length > 0) {
      return this.fail(`Audit chain broken: ${findings.join('; ')}`, outcome, () => {
        this.logger.info(`Head: ${describeHead(head)}`)
      })
    }

    const headLine = `Head: ${describeHead(head)} (record it outside the database)`
    if (outcome.overdue > 0) {
      this.exitCode = 2
      return this.output(outcome, () => {
        this.logger.warning(
          `${outcome.overdue} event(s) had waited more than 5 minutes for their seal (first: event ${outcome.firstOverdueEventId}); is the seal_audit_events cron running?`
        )
        this.logger.info(`Audit chain intact: ${outcome.checked} event(s)`)
        this.logger.info(headLine)
      })
    }
    this.output(outcome, () => {
      this.logger.success(`Audit chain intact: ${outcome.checked} event(s)`)
      this.logger.info(headLine)
    })
  }
}

function describeHead(head: { seq: number; eventId: number; hash: string } | null) {
  return head ? `seal ${head.seq}, event ${head.eventId}, sha256 ${head.hash}` : '(empty chain)'
}

function progressBar(done: number, total: number, width = 20) {
  const filled = total ? Math.round((Math.min(done, total) / total) * width) : width
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}
