import vine from '@vinejs/vine'
import { INTEGRATION_KINDS } from '#models/integration'

const kind = () => vine.enum(INTEGRATION_KINDS)
const name = () =>
  vine
    .string()
    .trim()
    .minLength(1)
    .maxLength(100)
    .regex(/^[A-Za-z0-9_.:-]+$/)
    // Unique per (project, kind, name); meta carries the project and, on edit, the integration itself.
    .unique({
      table: 'integrations',
      column: 'name',
      filter: (query, _value, field) => {
        query.where('project_id', field.meta.projectId).where('kind', String(field.parent.kind))
        if (field.meta.integrationId !== undefined) query.whereNot('id', field.meta.integrationId)
      },
    })
const secret = () => vine.string().minLength(1).maxLength(10_000)

/** POST /projects/:projectId/integrations */
export const createIntegrationValidator = vine.create({
  kind: kind(),
  name: name(),
  secret: secret(),
})

/** PUT /projects/:projectId/integrations/:id (a blank secret keeps the stored one). */
export const updateIntegrationValidator = vine.create({
  kind: kind(),
  name: name(),
  secret: secret().nullable(),
})
