import ace from '@adonisjs/core/services/ace'
import type { BaseCommand } from '@adonisjs/core/ace'
import type { Group } from '@japa/runner/core'

/** Runs a command as `node ace <name> <argv>` would, in this process; its output is kept. */
export async function runCommand<Command extends typeof BaseCommand>(
  Command: Command,
  argv: string[] = []
) {
  ace.ui.logger.flushLogs()
  const command = await ace.create(Command, argv)
  await command.exec()
  return command as InstanceType<Command>
}

/** Everything the command logged, in order. */
export const messagesOf = (command: BaseCommand) =>
  command.logger.getLogs().map((log) => log.message)

/** What the command wrote to stderr. */
export const errorsOf = (command: BaseCommand) =>
  command.logger
    .getLogs()
    .filter((log) => log.stream === 'stderr')
    .map((log) => log.message)

/** For each test of the group, commands log to memory (ace's raw mode) instead of the terminal. */
export function keepCommandOutput(group: Group) {
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })
}
