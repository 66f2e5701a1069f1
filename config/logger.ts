import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, targets } from '@adonisjs/core/logger'

const loggerConfig = defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'gatehouse',
      level: env.get('LOG_LEVEL') ?? (app.inTest ? 'silent' : 'info'),
      transport: {
        targets: targets()
          .pushIf(!app.inProduction && process.stdout.isTTY, targets.pretty())
          .pushIf(app.inProduction || !process.stdout.isTTY, targets.file({ destination: 1 }))
          .toArray(),
      },
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
