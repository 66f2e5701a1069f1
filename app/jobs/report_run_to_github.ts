import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import GitHubReport from '#services/github/github_report'

const reportPayload = vine.create({
  runId: vine.number().withoutDecimals().min(1),
  moment: vine.enum(['started', 'finished'] as const),
})

/** Comments on a run's GitHub issue (started / finished); retried by the queue on transient failures. */
export default async function reportRunToGitHub(payload: unknown, helpers: JobHelpers) {
  const { runId, moment } = await reportPayload.validate(payload)
  await GitHubReport.post(runId, moment, {
    number: helpers.job.attempts,
    max: helpers.job.max_attempts,
  })
}
