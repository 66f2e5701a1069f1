import db from '@adonisjs/lucid/services/db'
import GitHubSync from '#services/github/github_sync'

/** Every few minutes: one sync job per project connected to GitHub (intake and default branch). */
export default async function syncGitHub() {
  await db.transaction((trx) => GitHubSync.enqueueAll(trx))
}
