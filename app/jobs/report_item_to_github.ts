import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import GitHubReport from '#services/github/github_report'

const reportPayload = vine.create({
  workItemId: vine.number().withoutDecimals().min(1),
})

/** Posts or edits a work item's comment on its GitHub issue; retried by the queue on transient failures. */
export default async function reportItemToGitHub(payload: unknown, helpers: JobHelpers) {
  const { workItemId } = await reportPayload.validate(payload)
  await GitHubReport.post(workItemId, {
    number: helpers.job.attempts,
    max: helpers.job.max_attempts,
  })
}
