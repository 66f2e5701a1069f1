import { readFile } from 'node:fs/promises'
import { BaseCommand, args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `evidence:verify <file>`: checks an exported evidence file against the stored SHA-256. */
export default class EvidenceVerify extends BaseCommand {
  static commandName = 'evidence:verify'
  static description = 'Check an evidence file against the SHA-256 stored when its item completed'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Evidence file' })
  declare file: string

  async run() {
    const { default: Evidence } = await import('#services/audit/evidence')
    let content: Buffer
    try {
      content = await readFile(this.file)
    } catch {
      this.logger.error(`cannot read ${this.file}`)
      this.exitCode = 1
      return
    }
    const check = await Evidence.verify(content)
    if (check.ok) {
      this.logger.success(
        `Evidence of work item ${check.workItemId} verified (sha256 ${check.sha256})`
      )
    } else {
      this.logger.error(`Evidence does not verify: ${check.reason}`)
      this.exitCode = 1
    }
  }
}
