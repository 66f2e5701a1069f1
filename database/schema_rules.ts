import type { SchemaRules } from '@adonisjs/lucid/types/schema_generator'

/** How database/schema.ts types columns the generator cannot infer well. */
export default {
  types: {
    // pg's int8 and numeric parsers are set to Number in app/infrastructure/database_server.ts.
    decimal: { tsType: 'number', decorator: '@column()' },
    bigint: { tsType: 'number', decorator: '@column()' },
  },
} satisfies SchemaRules
