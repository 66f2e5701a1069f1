import { PASSWORD } from '#tests/support/admin_pages'

const base = () => `http://${process.env.HOST}:${process.env.PORT}`

/** A browser against the test server: its cookie jar, as a header a thief could copy. */
export default class Browser {
  static signIn(email: string, password = PASSWORD) {
    return new Browser().signIn(email, password)
  }

  cookies = new Map<string, string>()

  get cookie() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  copy() {
    const other = new Browser()
    other.cookies = new Map(this.cookies)
    return other
  }

  async request(method: string, path: string, form?: Record<string, string>) {
    let body: URLSearchParams | undefined
    if (form) {
      // A page with a form on it (the first-boot admin can open no other than the password's).
      const formPage =
        path.startsWith('/login') || path.startsWith('/account') ? path.split('?')[0] : '/'
      const page = await this.request('GET', formPage)
      const csrf = /name=['"]_csrf['"] value=['"]([^'"]+)['"]/.exec(page.body)?.[1] ?? ''
      body = new URLSearchParams({ _csrf: csrf, ...form })
    }
    const response = await fetch(`${base()}${path}`, {
      method: method === 'GET' ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        'cookie': this.cookie,
        'accept': 'text/html',
        'user-agent': 'SessionsTest/1.0',
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: body ? body.toString() : undefined,
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const index = pair.indexOf('=')
      this.cookies.set(pair.slice(0, index), pair.slice(index + 1))
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      body: await response.text(),
    }
  }

  /** Method-spoofed writes, as the pages' forms send them. */
  send(method: 'PUT' | 'DELETE' | 'POST', path: string, form: Record<string, string> = {}) {
    const spoofed = method === 'POST' ? path : `${path}?_method=${method}`
    return this.request('POST', spoofed, form)
  }

  async signIn(email: string, password = PASSWORD) {
    const response = await this.request('POST', '/login', { email, password })
    if (response.status !== 302 || response.location === '/login') {
      throw new Error(`sign-in refused: ${response.status} ${response.location}`)
    }
    return this
  }

  /** Whether the dashboard opens (a signed-out browser is sent to /login). */
  async signedIn() {
    const response = await this.request('GET', '/')
    return response.status === 200
  }
}
