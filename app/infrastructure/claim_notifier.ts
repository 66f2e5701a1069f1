import { CLAIMABLE_CHANNEL, parseAnnouncement } from '#infrastructure/claimable'
import PostgresListener from '#infrastructure/postgres_listener'

/** Waiters an announcement wakes at first; each of them that then claims wakes this many more. */
export const WAKE_BATCH = 2
/** Announcements kept for claimers that were looking when one arrived. */
const RECENT = 64

/** What a waiting claimer could take: an announcement outside it does not wake it. */
export type WaiterScope = {
  agentId: number
  /** Empty: every project. */
  projectIds: number[]
  /** null: every work type. */
  workTypes: string[] | null
}

/** One announcement, with the wake-ups it has left to hand out. */
export type Announcement = {
  seq: number
  projectId: number | null
  workType: string | null
  agentId: number | null
  credits: number
}

type Waiter = { scope: WaiterScope | null; wake: (announcement: Announcement | null) => void }

/**
 * The process's one LISTEN connection on `gatehouse_claimable`, shared by every long-polling
 * claim. An announcement wakes at most WAKE_BATCH waiters that could take what it announces,
 * oldest first; a woken waiter that claims passes WAKE_BATCH more wake-ups on (`served`), so a
 * burst of items drains quickly and a single item wakes a few waiters, not all of them.
 * A claimer notes the generation before it looks: an announcement that arrived while it was
 * looking, with wake-ups left, sends it to look again at once instead of waiting. After a
 * reconnect every waiter wakes, since announcements may have been missed.
 */
export class ClaimNotifier {
  #generation = 0
  #recent: Announcement[] = []
  #waiters = new Set<Waiter>()
  #woken = 0
  #listener = new PostgresListener(CLAIMABLE_CHANNEL, {
    onNotification: (payload) => this.deliver(payload ?? ''),
    onReconnect: () => this.#hand(this.#record(null, Number.POSITIVE_INFINITY)),
  })

  /** The current generation; pass it to `waitAfter` once a look found nothing. */
  get generation() {
    return this.#generation
  }

  /** Claimers waiting now. */
  get waiting() {
    return this.#waiters.size
  }

  /** Wake-ups handed out since the process started. */
  get woken() {
    return this.#woken
  }

  /** Starts listening (once per process); resolves when LISTEN is in place. */
  async listen() {
    return this.#listener.listen()
  }

  /**
   * Resolves with the announcement that woke the waiter (pass it to `served` after a claim),
   * or null after `timeoutMs` or once the signal aborts (the client went away).
   */
  waitAfter(
    generation: number,
    timeoutMs: number,
    scope: WaiterScope | null = null,
    signal?: AbortSignal
  ): Promise<Announcement | null> {
    const missed = this.#recent.find(
      (announcement) =>
        announcement.seq > generation && announcement.credits > 0 && covers(scope, announcement)
    )
    if (missed) return Promise.resolve(this.#spend(missed))
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(null)
    return new Promise((resolve) => {
      const finish = (announcement: Announcement | null) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
        resolve(announcement)
      }
      const onAbort = () => finish(null)
      const waiter: Waiter = { scope, wake: finish }
      const timer = setTimeout(() => finish(null), timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  /** A waiter woken by this announcement claimed something: there may be more, wake more. */
  served(announcement: Announcement) {
    announcement.credits += WAKE_BATCH
    this.#hand(announcement)
  }

  /** An announcement's payload (`projectId[:workType[:agentId]]`), as the listener receives it. */
  deliver(payload: string) {
    this.#hand(this.#record(parseAnnouncement(payload), WAKE_BATCH))
  }

  async close() {
    const closing = this.#listener.close()
    for (const waiter of [...this.#waiters]) waiter.wake(null)
    await closing
  }

  #record(parsed: ReturnType<typeof parseAnnouncement> | null, credits: number): Announcement {
    const announcement = {
      seq: ++this.#generation,
      projectId: parsed?.projectId ?? null,
      workType: parsed?.workType ?? null,
      agentId: parsed?.agentId ?? null,
      credits,
    }
    this.#recent.push(announcement)
    if (this.#recent.length > RECENT) this.#recent.shift()
    return announcement
  }

  /** Wakes the oldest waiters the announcement covers, while it has wake-ups left. */
  #hand(announcement: Announcement) {
    for (const waiter of this.#waiters) {
      if (announcement.credits <= 0) return
      if (!covers(waiter.scope, announcement)) continue
      this.#waiters.delete(waiter)
      waiter.wake(this.#spend(announcement))
    }
  }

  #spend(announcement: Announcement) {
    announcement.credits--
    this.#woken++
    return announcement
  }
}

/** Whether a waiter could take what the announcement announces (unknown parts cover everyone). */
function covers(scope: WaiterScope | null, announcement: Announcement) {
  if (!scope) return true
  if (announcement.agentId !== null && announcement.agentId !== scope.agentId) return false
  if (
    announcement.projectId !== null &&
    scope.projectIds.length > 0 &&
    !scope.projectIds.includes(announcement.projectId)
  )
    return false
  if (
    announcement.workType !== null &&
    scope.workTypes !== null &&
    !scope.workTypes.includes(announcement.workType)
  )
    return false
  return true
}

/** The process-wide notifier; closed by the claim notifier provider on shutdown. */
const claimNotifier = new ClaimNotifier()
export default claimNotifier
