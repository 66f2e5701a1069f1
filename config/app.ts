import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'
import { appKey as resolveAppKey } from '#start/app_key'

export const appKey = resolveAppKey()

export const appUrl = env.get('APP_URL') ?? `http://localhost:${env.get('PORT') ?? 3333}`

/**
 * Whose X-Forwarded-For (and -Proto) counts: nobody's unless TRUSTED_PROXIES names the proxies
 * (addresses, CIDRs or proxy-addr's names such as `loopback`), so that a client cannot choose
 * the address its login attempts are counted and audited under.
 */
const trustedProxies = env.get('TRUSTED_PROXIES')?.trim()

export const http = defineConfig({
  generateRequestId: true,
  trustProxy: trustedProxies ? trustedProxies : false,
  allowMethodSpoofing: true,
  useAsyncLocalStorage: false,
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction && appUrl.startsWith('https:'),
    sameSite: 'lax',
  },
})
