import { configApp } from '@adonisjs/eslint-config'

export default configApp({
  ignores: ['.adonisjs/**', 'database/schema.ts', 'build/**', 'tmp/**', 'storage/**'],
})
