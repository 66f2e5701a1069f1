import env from '#start/env'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import { defineConfig } from '@adonisjs/session'
import PostgresSessionStore from '#infrastructure/session_store'
import { appUrl } from '#config/app'

const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'gatehouse-session',
  clearWithBrowser: false,
  age: '2h',
  cookie: {
    path: '/',
    httpOnly: true,
    // Secure cookies need https; the zero-config start is plain http on 127.0.0.1.
    secure: app.inProduction && appUrl.startsWith('https:'),
    sameSite: 'lax',
  },
  // Server-side (issue 13): a cookie carries the session id only, so sessions can be ended.
  store: env.get('SESSION_DRIVER') ?? 'database',
  stores: {
    database: (ctx) => new PostgresSessionStore(ctx),
    // Japa's session plugins seed and read sessions through the store named "memory": in tests
    // that is this same Postgres store, so every test signs in through the real one.
    ...(app.inTest ? { memory: (ctx?: HttpContext) => new PostgresSessionStore(ctx) } : {}),
  },
})

export default sessionConfig
