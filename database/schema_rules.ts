import type { SchemaRules } from '@adonisjs/lucid/types/schema_generator'

/** How database/schema.ts types columns the generator cannot infer well. */
export default {
  types: {
    // pg's numeric parser is set to Number in app/services/database_server.ts.
    decimal: { tsType: 'number', decorator: '@column()' },
  },
} satisfies SchemaRules
