/*
 * Loaded with `--import` into the server process the bench spawns (never by `npm start`):
 * counts the statements the server sends to Postgres, by their first words with
 * BENCH_STATEMENTS=1, and answers the bench's `stats` message over the IPC channel with them
 * and the process's memory. The bench's own statements are counted in the bench.
 */
import { statements } from './statement_counter.js'

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stats') return
  const memory = process.memoryUsage()
  process.send?.({
    type: 'stats',
    statements: statements.sent,
    statementsByText: [...statements.byText],
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  })
  statements.byText.clear()
})
// The IPC channel must not keep the server alive once it is told to stop.
process.channel?.unref()
