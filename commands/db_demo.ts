import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { DemoSummary } from '#database/seeders/demo_seeder'

/** `db:demo`: fills an empty database with a small, realistic Gatehouse to look around in. */
export default class DbDemo extends BaseCommand {
  static commandName = 'db:demo'
  static description =
    'Fill an EMPTY database with demo projects, agents, work items, runs and audit events'
  static help = [
    'Refuses when the database already has projects, agents, work items or runs.',
    "Prints the demo users' passwords and the agents' tokens once (try agent:run with one).",
  ]
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print the outcome as JSON' })
  declare json: boolean

  async run() {
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { MigrationRunner } = await import('@adonisjs/lucid/migration')
    const { default: Worker } = await import('#infrastructure/worker')
    const { default: DemoData } = await import('#database/seeders/demo_seeder')

    // Same schema steps as `npm start`, so a fresh DATABASE_URL works too (quietly: --json
    // output must stay one document).
    const migrator = new MigrationRunner(db, this.app, { direction: 'up', dryRun: false })
    await migrator.run()
    if (migrator.error) return this.#fail(`cannot migrate the database: ${migrator.error.message}`)
    await Worker.migrate()
    if (!(await DemoData.isEmpty())) {
      return this.#fail(
        'the database is not empty (it has projects, agents, work items or runs); db:demo only fills an empty one'
      )
    }

    let summary: DemoSummary | undefined
    if (this.json) {
      summary = await DemoData.fill()
      return this.logger.log(JSON.stringify(summary))
    }
    const tasks = this.ui.tasks()
    tasks.add('Building the demo', async (task) => {
      summary = await DemoData.fill((step) => task.update(step))
      return 'done'
    })
    await tasks.run()
    if (!summary)
      return this.#fail(`the demo could not be built: ${tasks.error?.message ?? 'unknown error'}`)

    const counts = this.ui.table()
    counts.head(['Work items', 'Count', 'Runs', 'Count'])
    const items = Object.entries(summary.workItems)
    const runs = Object.entries(summary.runs)
    for (let i = 0; i < Math.max(items.length, runs.length); i++) {
      counts.row([
        items[i]?.[0] ?? '',
        String(items[i]?.[1] ?? ''),
        runs[i]?.[0] ?? '',
        String(runs[i]?.[1] ?? ''),
      ])
    }
    counts.render()

    const secrets = this.ui.table()
    secrets.head(['Who', 'Role', 'Password or token (shown once)'])
    for (const user of summary.users) secrets.row([user.email, user.role, user.password])
    for (const token of summary.tokens) secrets.row([token.key, 'agent', token.value])
    secrets.render()
    this.logger.success(
      `Demo ready: ${summary.projects} projects, ${summary.agents} agents. Sign in with a user above.`
    )
  }

  #fail(reason: string) {
    this.exitCode = 1
    if (this.json) this.logger.log(JSON.stringify({ error: reason }))
    else this.logger.error(reason)
  }
}
