import vine from '@vinejs/vine'
import { PROJECT_KEY_SCOPES } from '#models/project'

/** POST /projects/:projectId/api_keys: a name and at least one scope (checkboxes). */
export const issueProjectApiKeyValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(255),
  scopes: vine.array(vine.enum(PROJECT_KEY_SCOPES)).minLength(1).distinct(),
})
