import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Secret } from '@adonisjs/core/helpers'
import env from '#start/env'
import { dataDirectory } from '#start/data_directory'

let generated: Secret<string> | undefined

/**
 * APP_KEY from the environment (or .env) when set; otherwise a key generated on first boot and
 * kept in the data directory, so sessions and encrypted integration secrets survive restarts.
 */
export function appKey(): Secret<string> {
  const fromEnv = env.get('APP_KEY')
  if (fromEnv) return fromEnv
  if (generated) return generated

  const file = join(dataDirectory(), 'app_key')
  if (!existsSync(file)) {
    mkdirSync(dataDirectory(), { recursive: true })
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' })
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  generated = new Secret(readFileSync(file, 'utf8').trim())
  return generated
}
