import { spawn, type ChildProcess } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))
export const serverUrl = () => `http://${process.env.HOST}:${process.env.PORT}`

/** Processes a test started; `killStarted()` ends whatever is left, pass or fail. */
const started = new Set<ChildProcess>()

/** `node ace.js …` as its own process; `agent:run` in it is a pure client of the test's HTTP server. */
export function aceProcess(argv: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, ['ace.js', ...argv], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      started.delete(child)
      resolve(code)
    })
  )
  return { child, exited, output: () => output }
}

export function killStarted() {
  for (const child of started) child.kill('SIGKILL')
}

export async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Running (a zombie left for a non-reaping init counts as gone). */
export function alive(pid: number) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

/** What a proxy in front of the test server does with a request it lets through; `edit` may change a JSON answer. */
export async function forwardToServer(
  request: IncomingMessage,
  response: ServerResponse,
  edit?: (body: any) => any
) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk)
  const answer = await fetch(`${serverUrl()}${request.url}`, {
    method: request.method,
    headers: request.headers as Record<string, string>,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
  })
  let body = Buffer.from(await answer.arrayBuffer())
  const headers = Object.fromEntries(answer.headers)
  if (edit && answer.status === 201 && body.length > 0) {
    body = Buffer.from(JSON.stringify(await edit(JSON.parse(body.toString('utf8')))))
    delete headers['content-length']
    delete headers['content-encoding']
  }
  response.writeHead(answer.status, headers)
  response.end(body)
}
