import { BaseCommand, args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { readFile } from 'node:fs/promises'
import type { ApiWorkItemInput } from '#validators/project_work_item'

/** `items:import <slug> <file.jsonl>`: what the work-item API's batch create does, from a file. */
export default class ItemsImport extends BaseCommand {
  static commandName = 'items:import'
  static description =
    'Create or update (by external_id) work items from a JSON Lines file, 500 at a time'
  static help = ['items:import acme-widgets items.jsonl   one work item per line, as the API takes']
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Project slug' })
  declare slug: string

  @args.string({ description: 'JSON Lines file: one work item object per line' })
  declare file: string

  async run() {
    const { errors } = await import('@vinejs/vine')
    const { default: Project } = await import('#models/project')
    const { default: ApiWorkItems } = await import('#services/api_work_items')
    const { createOneValidator, MAX_BATCH_ITEMS } = await import('#validators/project_work_item')

    const project = await Project.findBy('slug', this.slug)
    if (!project) return this.#fail(`no project with slug "${this.slug}"`)
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      return this.#fail(`cannot read ${this.file}: ${(error as Error).message}`)
    }

    // The whole file is checked first: one bad line imports nothing.
    const items: ApiWorkItemInput[] = []
    const problems: string[] = []
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue
      try {
        items.push(await createOneValidator.validate(JSON.parse(line)))
      } catch (error) {
        const reason =
          error instanceof errors.E_VALIDATION_ERROR
            ? (error.messages as { field: string; message: string }[])
                .map((message) => `${message.field}: ${message.message}`)
                .join('; ')
            : (error as Error).message
        problems.push(`line ${index + 1}: ${reason}`)
      }
    }
    if (problems.length > 0) return this.#fail(problems.slice(0, 20).join('\n'))

    const counts = { created: 0, updated: 0, unchanged: 0, conflict: 0 }
    const tasks = this.ui.tasks()
    tasks.add(`Import ${items.length} item(s) into ${project.slug}`, async (task) => {
      for (let start = 0; start < items.length; start += MAX_BATCH_ITEMS) {
        const results = await ApiWorkItems.upsert(
          project,
          'system',
          items.slice(start, start + MAX_BATCH_ITEMS)
        )
        for (const result of results) counts[result.outcome]++
        const done = Math.min(start + MAX_BATCH_ITEMS, items.length)
        task.update(`${progressBar(done, items.length)} ${done} of ${items.length}`)
      }
      return `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.conflict} held by a run (left as they are)`
    })
    await tasks.run()
  }

  #fail(reason: string) {
    this.logger.error(reason)
    this.exitCode = 1
  }
}

function progressBar(done: number, total: number, width = 20) {
  const filled = total ? Math.round((Math.min(done, total) / total) * width) : width
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}
