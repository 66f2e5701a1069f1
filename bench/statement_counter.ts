/*
 * Counts every statement this process sends to Postgres, and with BENCH_STATEMENTS=1 by its
 * first words, so a phase can report its round trips per cycle. Imported by the bench and by
 * bench/server_probe.ts (loaded into the server process the bench spawns).
 */
import pg from 'pg'

export const statements = { sent: 0, byText: new Map<string, number>() }

const sendQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements.sent++
  if (process.env.BENCH_STATEMENTS) {
    const config = args[0] as string | { text?: string }
    const text = (typeof config === 'string' ? config : (config?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 90)
    statements.byText.set(text, (statements.byText.get(text) ?? 0) + 1)
  }
  return sendQuery.apply(this, args)
} as typeof pg.Client.prototype.query
