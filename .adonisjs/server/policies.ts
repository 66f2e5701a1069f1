export const policies = {
  AgentPolicy: () => import('#policies/agent_policy'),
  AuditEventPolicy: () => import('#policies/audit_event_policy'),
  BulkActionPolicy: () => import('#policies/bulk_action_policy'),
  ProjectPolicy: () => import('#policies/project_policy'),
  RunPolicy: () => import('#policies/run_policy'),
  SettingPolicy: () => import('#policies/setting_policy'),
  UserPolicy: () => import('#policies/user_policy'),
  WebhookDeliveryPolicy: () => import('#policies/webhook_delivery_policy'),
  WorkItemPolicy: () => import('#policies/work_item_policy'),
}

