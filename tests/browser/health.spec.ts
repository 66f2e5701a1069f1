import { test } from '@japa/runner'

test.group('Browser smoke', () => {
  test('Debian Chromium renders a Gatehouse page', async ({ visit }) => {
    const page = await visit('/health')
    await page.assertTextContains('body', '"status":"ok"')
  })
})
