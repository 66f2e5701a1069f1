import { test } from '@japa/runner'
import { errors as vineErrors } from '@vinejs/vine'
import {
  agentDefinitionValidator,
  createAgentValidator,
  updateAgentValidator,
} from '#validators/agent'

/** The fields a validator refused, or none. */
async function refusedFields(validate: () => Promise<unknown>) {
  try {
    await validate()
    return []
  } catch (error) {
    if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
    return (error.messages as { field: string }[]).map((message) => message.field)
  }
}

const form = (fields: Record<string, unknown>) =>
  refusedFields(() =>
    updateAgentValidator.validate({
      name: 'Coder',
      work_types: 'code',
      max_concurrency: 1,
      ...fields,
    })
  )
const definition = (fields: Record<string, unknown>) =>
  refusedFields(() => agentDefinitionValidator.validate({ key: 'coder', name: 'Coder', ...fields }))

test.group('Agent field rules', () => {
  test('the pages and agent definitions (agent:create, agents:seed) agree on a description’s limit', async ({
    assert,
  }) => {
    assert.deepEqual(await form({ description: 'd'.repeat(5000) }), [])
    assert.deepEqual(await definition({ description: 'd'.repeat(5000) }), [])
    assert.deepEqual(await form({ description: 'd'.repeat(5001) }), ['description'])
    assert.deepEqual(await definition({ description: 'd'.repeat(5001) }), ['description'])
  })

  test('they agree on work types, max_concurrency and the GitHub login', async ({ assert }) => {
    assert.deepEqual(await form({ work_types: 'code, Fix CI' }), ['work_types'])
    assert.deepEqual(await definition({ capabilities: { work_types: ['code', 'Fix CI'] } }), [
      'capabilities.work_types.1',
    ])
    assert.deepEqual(await form({ max_concurrency: 1001 }), ['max_concurrency'])
    assert.deepEqual(await definition({ max_concurrency: 1001 }), ['max_concurrency'])
    assert.deepEqual(await form({ github_login: '-bot' }), ['github_login'])
    assert.deepEqual(await definition({ github_login: '-bot' }), ['github_login'])
  })

  test('the form lower-cases a typed key before checking it; a definition’s key must already be', async ({
    assert,
  }) => {
    const typed = await refusedFields(() =>
      createAgentValidator.validate({
        key: 'Claude-Coder',
        name: 'Claude',
        work_types: '*',
        max_concurrency: 1,
      })
    )
    assert.deepEqual(typed, [])
    assert.deepEqual(await definition({ key: 'Claude-Coder' }), ['key'])
  })
})
