import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import GatehouseStatus from '#services/github/gatehouse_status'

const statusPayload = vine.create({
  runId: vine.number().withoutDecimals().min(1),
  sha: vine
    .string()
    .regex(/^[0-9a-f]{40}$/i)
    .nullable()
    .optional(),
})

/** Sets the `gatehouse` commit status of a run's pull request; retried by the queue on transient failures. */
export default async function postGatehouseStatus(payload: unknown, helpers: JobHelpers) {
  const { runId, sha } = await statusPayload.validate(payload)
  await GatehouseStatus.post(
    { runId, sha },
    { number: helpers.job.attempts, max: helpers.job.max_attempts }
  )
}
