import encryption from '@adonisjs/core/services/encryption'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { IntegrationSchema } from '#database/schema'
import Project from '#models/project'

export type IntegrationKind = 'github' | 'slack' | 'webhook'

/** A project's connection to an external service; its secret is encrypted at rest. */
export default class Integration extends IntegrationSchema {
  declare kind: IntegrationKind
  declare status: 'active' | 'inactive'

  @column({ serializeAs: null })
  declare value: string

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  /** Ciphertext bound to the integration's kind and name (set those first). */
  static seal(kind: IntegrationKind, name: string, plaintext: string) {
    return encryption.encrypt(plaintext, undefined, `integration:${kind}:${name}`)
  }

  set secret(plaintext: string) {
    this.value = Integration.seal(this.kind, this.name, plaintext)
  }

  /** The plaintext, for the code that calls the service; never for a page. */
  revealSecret(): string | null {
    return encryption.decrypt<string>(this.value, `integration:${this.kind}:${this.name}`)
  }
}
