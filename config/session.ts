import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'
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
  store: env.get('SESSION_DRIVER') ?? (app.inTest ? 'memory' : 'cookie'),
  stores: {
    cookie: stores.cookie(),
  },
})

export default sessionConfig
