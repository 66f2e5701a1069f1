import { writeFile } from 'node:fs/promises'
import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `evidence:export <item> [--out file]`: the stored evidence document of a completed item. */
export default class EvidenceExport extends BaseCommand {
  static commandName = 'evidence:export'
  static description = "Write a completed work item's evidence document (stdout or --out)"
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Work item id' })
  declare item: string

  @flags.string({ description: 'File to write instead of stdout' })
  declare out?: string

  async run() {
    const { default: Evidence } = await import('#services/audit/evidence')
    const id = Number(this.item)
    const evidence = Number.isSafeInteger(id) && id > 0 ? await Evidence.find(id) : null
    if (!evidence) {
      this.logger.error(`no evidence stored for work item "${this.item}" (not completed?)`)
      this.exitCode = 1
      return
    }
    if (this.out) {
      await writeFile(this.out, evidence.document)
      this.logger.success(
        `Evidence of work item ${id} written to ${this.out} (sha256 ${evidence.sha256})`
      )
    } else {
      process.stdout.write(evidence.document)
    }
  }
}
