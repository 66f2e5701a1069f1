import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import Run from '#models/run'
import GitHubReport from '#services/github/github_report'

const reportPayload = vine.create({
  runId: vine.number().withoutDecimals().min(1),
  moment: vine.enum(['started', 'finished'] as const),
})

/** Jobs queued by earlier versions (one comment per run moment): they refresh the run's item comment. */
export default async function reportRunToGitHub(payload: unknown, helpers: JobHelpers) {
  const { runId } = await reportPayload.validate(payload)
  const run = await Run.find(runId)
  if (!run) return
  await GitHubReport.post(run.workItemId, {
    number: helpers.job.attempts,
    max: helpers.job.max_attempts,
  })
}
