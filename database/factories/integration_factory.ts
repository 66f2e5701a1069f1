import factory from '@adonisjs/lucid/factories'
import Integration from '#models/integration'

export const IntegrationFactory = factory
  .define(Integration, ({ faker }) => {
    const name = `GITHUB_TOKEN_${faker.string.alphanumeric({ length: 6, casing: 'upper' })}`
    return {
      kind: 'github' as const,
      name,
      status: 'active' as const,
      value: Integration.seal('github', name, `ghp_${faker.string.alphanumeric(36)}`),
    }
  })
  .build()
