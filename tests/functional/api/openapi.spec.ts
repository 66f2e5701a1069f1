import { test } from '@japa/runner'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { assertMatchesOpenApi } from '#tests/support/openapi_contract'

test.group('OpenAPI document', () => {
  test('is served at /api/v1/openapi.json as OpenAPI 3.1 with every /api/v1 route', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/v1/openapi.json')
    response.assertStatus(200)
    const document = response.body()
    assert.equal(document.openapi, '3.1.0')
    assert.includeMembers(Object.keys(document.paths), [
      '/api/v1/agent',
      '/api/v1/agent/drain',
      '/api/v1/claims',
      '/api/v1/runs/{id}',
      '/api/v1/runs/{id}/heartbeat',
      '/api/v1/runs/{id}/logs',
      '/api/v1/runs/{id}/complete',
      '/api/v1/runs/{id}/release',
      '/api/v1/projects/{slug}/work_items',
      '/api/v1/projects/{slug}/work_items/{id}',
      '/api/v1/projects/{slug}/work_items/{id}/cancellation',
      '/api/v1/projects/{slug}/work_items/{id}/requeue',
    ])
    // Every schema compiles under JSON Schema 2020-12 (the dialect of OpenAPI 3.1).
    const ajv = new Ajv2020({ strict: false, validateFormats: false })
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      ajv.addSchema(schema as object, `#/components/schemas/${name}`)
    }
    assert.doesNotThrow(() => ajv.compile({ $ref: '#/components/schemas/Run' }))
  })

  test('is rendered at /api/docs by a renderer served from here, not a CDN', async ({
    client,
    assert,
  }) => {
    const page = await client.get('/api/docs')
    page.assertStatus(200)
    assert.include(page.text(), 'data-url="/api/v1/openapi.json"')
    assert.include(page.text(), 'src="/api/docs/renderer.js"')
    assert.notMatch(page.text(), /src="https?:/)
    const renderer = await client.get('/api/docs/renderer.js')
    renderer.assertStatus(200)
    assert.match(String(renderer.header('content-type')), /javascript/)
    assert.isAbove(renderer.text().length, 100_000)
  })

  test('the contract check refuses an answer that differs from the document', async ({
    client,
    assert,
  }) => {
    const document = await client.get('/api/v1/openapi.json')
    // The document itself is not what GET /api/v1/agent answers.
    assert.throws(
      () => assertMatchesOpenApi('GET', '/api/v1/agent', document),
      /does not match the document/
    )
    // An undocumented method answered 200 JSON: only a problem document is expected there.
    assert.throws(
      () => assertMatchesOpenApi('GET', '/api/v1/claims', document),
      /GET \/api\/v1\/claims → 200 answered application\/json/
    )
  })
})
