import logger from '@adonisjs/core/services/logger'
import AuditChain from '#services/audit/audit_chain'

/** Every minute: appends the audit events committed since the last run to the hash chain. */
export default async function sealAuditEvents() {
  const { sealed, overdue } = await AuditChain.seal()
  if (overdue > 0) logger.warn({ sealed, overdue }, `sealed ${overdue} overdue audit event(s)`)
}
