import vine from '@vinejs/vine'
import RunLifecycle from '#services/runs/run_lifecycle'

const evaluateGatesPayload = vine.create({ runId: vine.number().withoutDecimals().min(1) })

/** Re-evaluates a run's pending accept gates (a new fact arrived, or ci_timeout_minutes ended). */
export default async function evaluateGates(payload: unknown) {
  const { runId } = await evaluateGatesPayload.validate(payload)
  await RunLifecycle.evaluateGates(runId)
}
