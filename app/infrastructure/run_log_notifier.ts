import PostgresListener from '#infrastructure/postgres_listener'

/** The Postgres channel on which a run's new log lines are announced (payload: the run id). */
export const RUN_LOGS_CHANNEL = 'gatehouse_run_logs'

/**
 * The process's one LISTEN connection on `gatehouse_run_logs`, shared by every live log
 * page (Server-Sent Events) it serves. Followers register per run and are woken when lines
 * of that run commit; after a reconnect every follower wakes, since announcements may have
 * been missed. Opened lazily by the first follower.
 */
export class RunLogNotifier {
  #followers = new Map<number, Set<() => void>>()
  #listener = new PostgresListener(RUN_LOGS_CHANNEL, {
    onNotification: (runId) => {
      for (const wake of this.#followers.get(Number(runId)) ?? []) wake()
    },
    onReconnect: () => this.#wakeAll(),
  })

  async listen() {
    return this.#listener.listen()
  }

  /** Calls `wake` whenever lines of the run commit; returns the function that stops it. */
  follow(runId: number, wake: () => void) {
    const followers = this.#followers.get(runId) ?? new Set()
    followers.add(wake)
    this.#followers.set(runId, followers)
    return () => {
      followers.delete(wake)
      if (followers.size === 0 && this.#followers.get(runId) === followers)
        this.#followers.delete(runId)
    }
  }

  async close() {
    const closing = this.#listener.close()
    this.#wakeAll()
    await closing
  }

  #wakeAll() {
    for (const followers of this.#followers.values()) for (const wake of followers) wake()
  }
}

/** The process-wide notifier; closed by the run log notifier provider on shutdown. */
const runLogNotifier = new RunLogNotifier()
export default runLogNotifier
