import type { HttpContext } from '@adonisjs/core/http'
import { healthChecks } from '#start/health'

export default class HealthChecksController {
  async live({ response }: HttpContext) {
    return response.ok({ status: 'ok' })
  }

  /** Public, so it names each check and its state but not the process (pid, versions, uptime). */
  async ready({ response }: HttpContext) {
    const report = await healthChecks.run()
    const body = {
      status: report.status,
      checks: report.checks.map((check) => ({
        name: check.name,
        status: check.status,
        message: check.message,
      })),
    }
    return report.isHealthy ? response.ok(body) : response.serviceUnavailable(body)
  }
}
