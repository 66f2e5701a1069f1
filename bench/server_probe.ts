/*
 * Loaded with `--import` into the server process the bench spawns (never by `npm start`):
 * counts the statements the server sends to Postgres, by their first words with
 * BENCH_STATEMENTS=1, and answers the bench's `stats` message over the IPC channel with them
 * and the process's memory. The bench's own statements are counted in the bench.
 */
import pg from 'pg'

let statementsSent = 0
const statementsByText = new Map<string, number>()
const sendQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statementsSent++
  if (process.env.BENCH_STATEMENTS) {
    const config = args[0] as string | { text?: string }
    const text = (typeof config === 'string' ? config : (config?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 90)
    statementsByText.set(text, (statementsByText.get(text) ?? 0) + 1)
  }
  return sendQuery.apply(this, args)
} as typeof pg.Client.prototype.query

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stats') return
  const memory = process.memoryUsage()
  process.send?.({
    type: 'stats',
    statements: statementsSent,
    statementsByText: [...statementsByText],
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  })
  statementsByText.clear()
})
// The IPC channel must not keep the server alive once it is told to stop.
process.channel?.unref()
