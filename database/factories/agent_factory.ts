import factory from '@adonisjs/lucid/factories'
import Agent from '#models/agent'

export const AgentFactory = factory
  .define(Agent, ({ faker }) => ({
    key: `agent-${faker.string.alphanumeric({ length: 10, casing: 'lower' })}`,
    name: `${faker.word.adjective()} coder`,
    description: faker.lorem.sentence(),
    capabilities: { work_types: ['*'], tags: [] },
    modelName: faker.helpers.arrayElement(['claude-sonnet', 'gpt-codex', 'gemini-pro']),
    modelVersion: '1',
    maxConcurrency: 1,
    projectIds: [],
    enabled: true,
  }))
  .state('disabled', (agent) => (agent.enabled = false))
  .build()
