import factory from '@adonisjs/lucid/factories'
import User from '#models/user'

export const UserFactory = factory
  .define(User, ({ faker }) => ({
    email: faker.internet
      .email()
      .toLowerCase()
      .replace('@', `.${faker.string.alphanumeric(6)}@`),
    fullName: faker.person.fullName(),
    password: 'correct horse battery staple',
    role: 'viewer' as const,
    isActive: true,
  }))
  .state('admin', (user) => (user.role = 'admin'))
  .state('maintainer', (user) => (user.role = 'maintainer'))
  .state('reviewer', (user) => (user.role = 'reviewer'))
  .state('inactive', (user) => (user.isActive = false))
  .build()
