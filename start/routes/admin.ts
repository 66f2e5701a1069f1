import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'

/** The admin pages of spec §7 (session auth; each controller authorises its role). */
router
  .group(() => {
    router.get('/login', [controllers.Session, 'create']).as('session.create')
    router.post('/login', [controllers.Session, 'store']).as('session.store')
  })
  .use(middleware.guest())

router
  .group(() => {
    router.post('/logout', [controllers.Session, 'destroy']).as('session.destroy')
    router.get('/', [controllers.Dashboard, 'show']).as('dashboard')
  })
  .use(middleware.auth())
