import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Received webhooks and their processing state: readable by every signed-in user (viewers read). */
export default class WebhookDeliveryPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }
}
