/**
 * Environment variables that configure Gatehouse itself. A project's secret name may fall back
 * to the environment (spec §6), but never to these: a project naming `APP_KEY` as its GitHub
 * token would otherwise send the key that encrypts every secret to its GitHub API URL.
 */
const OWN_CONFIGURATION =
  /^(APP_KEY|APP_URL|HOST|PORT|NODE_ENV|LOG_LEVEL|RUN_WORKER|WORKER_CONCURRENCY|SESSION_DRIVER|GITHUB_API_URL|TRUSTED_PROXIES|DATABASE_[A-Z_]*|PG[A-Z]*|GATEHOUSE_[A-Z_]*)$/i

export function isOwnConfiguration(name: string) {
  return OWN_CONFIGURATION.test(name)
}
