import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const appRoot = fileURLToPath(new URL('../', import.meta.url))

/**
 * Where Gatehouse keeps what must survive restarts when nothing else is configured:
 * the embedded Postgres cluster and the generated APP_KEY. Git-ignored.
 */
export function dataDirectory(): string {
  const configured = process.env.GATEHOUSE_DATA_DIR
  if (!configured) return join(appRoot, 'storage')
  return isAbsolute(configured) ? configured : join(appRoot, configured)
}
