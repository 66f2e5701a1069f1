import WorkerRecovery from '#infrastructure/worker_recovery'

/** Every minute: gives back the jobs of worker processes that died without stopping. */
export default async function recoverCrashedWorkers() {
  await WorkerRecovery.recover()
}
