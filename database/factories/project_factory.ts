import factory from '@adonisjs/lucid/factories'
import Project from '#models/project'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { IntegrationFactory } from '#database/factories/integration_factory'
import { PolicyFactory } from '#database/factories/policy_factory'

export const ProjectFactory = factory
  .define(Project, ({ faker }) => {
    const name = `${faker.word.adjective()} ${faker.word.noun()}`
    const slug = `${faker.helpers
      .slugify(name)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '')}-${faker.string.alphanumeric({ length: 6, casing: 'lower' })}`
    return {
      name,
      slug,
      state: 'active' as const,
      brief: faker.lorem.sentence(),
      repoFullName: `${faker.internet.username().replace(/[^A-Za-z0-9_-]/g, '')}/${slug}`,
      repoDefaultBranch: 'main',
      gatesConfig: {},
      e2ERequired: false,
    }
  })
  .state('draft', (project) => (project.state = 'draft'))
  .state('paused', (project) => (project.state = 'paused'))
  .relation('workItems', () => WorkItemFactory)
  .relation('integrations', () => IntegrationFactory)
  .relation('policies', () => PolicyFactory)
  .build()
