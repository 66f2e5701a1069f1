import { args, flags } from '@adonisjs/core/ace'
import GatehouseCommand from '#commands/_gatehouse_command'

/** `project:token <slug>`: issue a project API key (printed once), list, or revoke one. */
export default class ProjectToken extends GatehouseCommand {
  static commandName = 'project:token'
  static description = "Issue (printed once), list or revoke a project's API keys (work-item API)"
  static help = [
    'project:token shop --name=jira --scopes=items:read,items:write   issue a key',
    'project:token shop --list                                        list keys (never their values)',
    'project:token shop --revoke=3                                    revoke',
  ]

  @args.string({ description: 'Project slug' })
  declare slug: string

  @flags.string({ description: 'A name for the new key (which integration uses it)' })
  declare name?: string

  @flags.array({ description: 'Scopes: items:read, items:write (default: both)' })
  declare scopes?: string[]

  @flags.number({ description: 'Revoke the key with this id' })
  declare revoke?: number

  @flags.boolean({ description: 'List the keys of the project' })
  declare list: boolean

  async run() {
    const { default: Project, PROJECT_KEY_SCOPES } = await import('#models/project')
    const project = await Project.findBy('slug', this.slug)
    if (!project) return this.fail(`no project with slug "${this.slug}"`)

    if (this.list) {
      const keys = await project.apiKeySummaries()
      if (this.json) return this.logger.log(JSON.stringify({ keys }))
      const table = this.ui.table().head(['id', 'name', 'scopes', 'last used'])
      for (const key of keys) {
        table.row([
          String(key.id),
          key.name ?? '',
          key.scopes.join(','),
          key.lastUsedAt ? new Date(key.lastUsedAt).toISOString() : 'never',
        ])
      }
      return table.render()
    }
    if (this.revoke !== undefined) {
      if (!(await project.revokeApiKey('system', this.revoke))) {
        return this.fail(`project "${this.slug}" has no key ${this.revoke}`)
      }
      if (this.json) return this.logger.log(JSON.stringify({ revoked: this.revoke }))
      return this.logger.success(`Key ${this.revoke} of "${this.slug}" revoked`)
    }

    const scopes = (this.scopes ?? ['items:read,items:write'])
      .flatMap((scope) => scope.split(','))
      .map((scope) => scope.trim())
      .filter(Boolean)
    const unknown = scopes.filter(
      (scope) => !(PROJECT_KEY_SCOPES as readonly string[]).includes(scope)
    )
    if (unknown.length > 0 || scopes.length === 0) {
      return this.fail(`scopes are ${PROJECT_KEY_SCOPES.join(', ')}; got ${unknown.join(', ')}`)
    }
    const key = await project.issueApiKey('system', {
      name: this.name ?? 'project:token',
      scopes: [...new Set(scopes)] as (typeof PROJECT_KEY_SCOPES)[number][],
    })
    const value = key.value!.release()
    if (this.json) {
      return this.logger.log(JSON.stringify({ key_id: Number(key.identifier), key: value, scopes }))
    }
    this.logger.log(value)
    this.logger.warning(
      `Key ${key.identifier} (${scopes.join(', ')}): store it now, it is not shown again`
    )
  }
}
