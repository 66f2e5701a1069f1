import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { ApiResponse } from '@japa/api-client'
import { openApiDocument } from '#presenters/openapi_document'

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)
ajv.addSchema({ $id: 'openapi', components: openApiDocument.components }, 'openapi')

/** `#/components/…` refs resolve against the document registered as `openapi`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase)
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([key, value]) => [
        key,
        key === '$ref' && typeof value === 'string' ? `openapi${value}` : rebase(value),
      ])
    )
  }
  return schema
}

const validators = new Map<unknown, ValidateFunction>()
function validatorFor(schema: unknown) {
  let validate = validators.get(schema)
  if (!validate) {
    validate = ajv.compile(rebase(schema) as object)
    validators.set(schema, validate)
  }
  return validate
}

const paths = Object.entries(openApiDocument.paths).map(([template, operations]) => ({
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  operations: operations as Record<string, Operation>,
}))

/**
 * Checks an answer of `/api/v1` against the OpenAPI document: its path and method are
 * documented, its status is (or falls under `default`), its content type is one the document
 * names for it and its JSON body matches that schema. Throws what differs.
 */
export function assertMatchesOpenApi(method: string, url: string, response: ApiResponse) {
  const path = new URL(url, 'http://localhost').pathname
  if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return
  const status = response.status()
  const where = `${method.toUpperCase()} ${path} → ${status}`
  const operations = paths.find((candidate) => candidate.pattern.test(path))?.operations
  const operation = operations?.[method.toLowerCase()]
  // Unrouted paths and methods are answered by the exception handler: a problem document.
  const answer = operation
    ? (operation.responses[String(status)] ?? operation.responses.default)
    : openApiDocument.paths['/api/v1/agent'].get.responses.default
  if (!answer) throw new Error(`OpenAPI: ${where} is not documented`)
  if (!answer.content) {
    if (response.text()) throw new Error(`OpenAPI: ${where} documents no body but got one`)
    return
  }
  const contentType = String(response.header('content-type') ?? '')
    .split(';')[0]
    .trim()
  const media = (answer.content as Record<string, { schema: unknown }>)[contentType]
  if (!media) {
    throw new Error(
      `OpenAPI: ${where} answered ${contentType || 'no content type'}, documented: ` +
        Object.keys(answer.content).join(', ')
    )
  }
  const validate = validatorFor(media.schema)
  if (!validate(response.body())) {
    throw new Error(
      `OpenAPI: ${where} does not match the document: ${ajv.errorsText(validate.errors)}\n` +
        JSON.stringify(response.body()).slice(0, 2000)
    )
  }
}
