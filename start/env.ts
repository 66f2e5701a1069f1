import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum.optional(['development', 'production', 'test'] as const),
  PORT: Env.schema.number.optional(),
  HOST: Env.schema.string.optional({ format: 'host' }),
  APP_KEY: Env.schema.secret.optional(),
  APP_URL: Env.schema.string.optional(),
  METRICS_TOKEN: Env.schema.string.optional(),
  TRUSTED_PROXIES: Env.schema.string.optional(),
  QUOTA_AGENT_REQUESTS_PER_MINUTE: Env.schema.number.optional(),
  QUOTA_LOG_LINES_PER_SECOND: Env.schema.number.optional(),
  QUOTA_LOG_BYTES_PER_SECOND: Env.schema.number.optional(),
  QUOTA_LIVE_LOG_STREAMS_PER_USER: Env.schema.number.optional(),
  MAX_LOG_BYTES_PER_RUN: Env.schema.number.optional(),
  LOG_LEVEL: Env.schema.enum.optional([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),

  DATABASE_URL: Env.schema.string.optional(),
  DATABASE_POOL_MAX: Env.schema.number.optional(),
  GATEHOUSE_DATA_DIR: Env.schema.string.optional(),
  WORKER_CONCURRENCY: Env.schema.number.optional(),
  RUN_WORKER: Env.schema.boolean.optional(),

  SESSION_DRIVER: Env.schema.enum.optional(['database', 'memory'] as const),
  GITHUB_API_URL: Env.schema.string.optional(),
})
