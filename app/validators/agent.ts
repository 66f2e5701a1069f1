import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { Infer } from '@vinejs/vine/types'

/** An agent as maintainers declare it (`agents:seed` files, `agent:create`). */
export const agentDefinition = vine.object({
  key: vine
    .string()
    .trim()
    .maxLength(64)
    .regex(/^[a-z0-9]+([-_][a-z0-9]+)*$/),
  name: vine.string().trim().minLength(1).maxLength(255),
  description: vine.string().trim().maxLength(2000).optional(),
  capabilities: vine
    .object({
      work_types: vine.array(vine.string().trim().minLength(1).maxLength(64)).minLength(1).distinct(),
      tags: vine.array(vine.string().trim().minLength(1).maxLength(64)).distinct().optional(),
    })
    .optional(),
  model_name: vine.string().trim().maxLength(255).nullable().optional(),
  model_version: vine.string().trim().maxLength(255).nullable().optional(),
  max_concurrency: vine.number().withoutDecimals().range([1, 1000]).optional(),
  enabled: vine.boolean({ strict: true }).optional(),
})

export const agentDefinitionValidator = vine.create(agentDefinition)
agentDefinitionValidator.messagesProvider = new SimpleMessagesProvider({
  'key.regex': 'The key must be lowercase letters and digits, words joined by - or _ (e.g. claude-coder)',
})

export type AgentDefinition = Infer<typeof agentDefinition>
