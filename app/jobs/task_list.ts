import type { TaskList } from 'graphile-worker'

/** Every graphile-worker task Gatehouse runs, by identifier. */
export const taskList: TaskList = {}

/** Recurring tasks (UTC). Each has a job key so that runs never overlap across processes. */
export const crontab = ''
