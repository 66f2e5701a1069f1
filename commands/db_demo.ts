import GatehouseCommand from '#commands/_gatehouse_command'

/** `db:demo`: fills an empty database with a small, realistic Gatehouse to look around in. */
export default class DbDemo extends GatehouseCommand {
  static commandName = 'db:demo'
  static description =
    'Fill an EMPTY database with demo projects, agents, work items, runs and audit events'
  static help = [
    'Refuses when the database already has projects, agents, work items or runs.',
    "Prints the demo users' passwords and the agents' tokens once (try agent:run with one).",
  ]

  async run() {
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { MigrationRunner } = await import('@adonisjs/lucid/migration')
    const { default: Worker } = await import('#infrastructure/worker')
    const { default: DemoSeeder, DemoData } = await import('#database/seeders/demo_seeder')

    // Same schema steps as `npm start`, so a fresh DATABASE_URL works too (quietly: --json
    // output must stay one document).
    const migrator = new MigrationRunner(db, this.app, { direction: 'up', dryRun: false })
    await migrator.run()
    if (migrator.error) return this.fail(`cannot migrate the database: ${migrator.error.message}`)
    await Worker.migrate()
    if (!(await DemoData.isEmpty())) {
      return this.fail(
        'the database is not empty (it has projects, agents, work items or runs); db:demo only fills an empty one'
      )
    }

    const seeder = new DemoSeeder(db.connection())
    if (this.json) {
      await seeder.run()
      return this.logger.log(JSON.stringify(seeder.summary))
    }
    const tasks = this.ui.tasks()
    tasks.add('Building the demo', async (task) => {
      seeder.onStep = (step) => task.update(step)
      await seeder.run()
      return 'done'
    })
    await tasks.run()
    const summary = seeder.summary
    if (!summary)
      return this.fail(`the demo could not be built: ${tasks.error?.message ?? 'unknown error'}`)

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
}
