/** What every child needs to run at all: finding programs, a home, a locale, proxies, CAs. */
const BASE_ALLOW = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TERM',
  'TZ',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
]

/**
 * Never passed on, whatever an allow-list says: the agent's Gatehouse token, the git token the
 * runner pushes with, and Gatehouse's own server configuration.
 */
export const ALWAYS_STRIPPED = [
  'GATEHOUSE_TOKEN',
  'GATEHOUSE_GIT_TOKEN',
  'DATABASE_URL',
  'APP_KEY',
  'PGPASSWORD',
]

/**
 * The environment a child gets: only the variables the allow-list names (`NAME`, `PREFIX*`,
 * or `*` for everything), never the ones in ALWAYS_STRIPPED, plus `set` (which wins).
 */
export function childEnvironment(
  source: NodeJS.ProcessEnv,
  allow: string[],
  set: Record<string, string | undefined> = {}
): NodeJS.ProcessEnv {
  const patterns = [...BASE_ALLOW, ...allow]
  const allowed = (name: string) =>
    patterns.some((pattern) =>
      pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern
    )
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && allowed(name) && !ALWAYS_STRIPPED.includes(name)) env[name] = value
  }
  for (const [name, value] of Object.entries(set)) {
    if (value !== undefined && !ALWAYS_STRIPPED.includes(name)) env[name] = value
  }
  return env
}
