import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * A process of Gatehouse's as an operator runs it (`npm start`, `npm run worker`), on a data
 * directory and maybe a database. It leads its own process group so that a failed test can kill
 * npm and the server under it at once: a SIGKILL to npm alone leaves the server running, and an
 * orphaned server takes the next tests' jobs.
 */
export function startGatehouse(
  args: string[],
  dataDir: string,
  port: number,
  databaseUrl?: string
) {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, PORT: String(port) }
  for (const name of ['DATABASE_URL', 'PGHOST', 'PGDATABASE', 'PGPORT', 'PGUSER', 'NODE_ENV']) {
    delete env[name]
  }
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  const child = spawn('npm', args, {
    cwd: appRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return { child, output: () => output }
}

/** Kills the process and everything it started; a group already gone is fine. */
export function killGatehouse(child: ChildProcess | undefined) {
  if (!child?.pid) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {}
}
