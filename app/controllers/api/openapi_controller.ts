import { readFile } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import { openApiDocument } from '#presenters/openapi_document'

/** The standalone bundle of the renderer, installed from npm and served from here (no CDN). */
const rendererPath = app.makePath('node_modules/@scalar/api-reference/dist/browser/standalone.js')
let renderer: Promise<Buffer> | null = null

/** GET /api/v1/openapi.json, and the rendered reference at /api/docs. */
export default class OpenapiController {
  async show({ response }: HttpContext) {
    return response.header('Cache-Control', 'no-cache').json(openApiDocument)
  }

  async docs({ response }: HttpContext) {
    // The renderer injects its styles: this page alone allows inline styles, nothing remote.
    response.header(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return response.header('Content-Type', 'text/html; charset=utf-8').send(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Gatehouse API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script
      id="api-reference"
      data-url="/api/v1/openapi.json"
      data-configuration='{"withDefaultFonts":false,"hideClientButton":true}'
    ></script>
    <script src="/api/docs/renderer.js"></script>
  </body>
</html>
`)
  }

  async renderer({ response }: HttpContext) {
    renderer ??= readFile(rendererPath)
    return response
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', 'public, max-age=3600')
      .send(await renderer)
  }
}
