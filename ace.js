/*
 * Ace entry point. `npm run ace -- <command>` runs it on the project's Node 24;
 * ts-exec compiles the TypeScript sources on the fly.
 */
import '@poppinss/ts-exec'

// Ace's logger colours only on a TTY; its tables (cli-table3) colour whenever TERM is set.
// Keep escape codes out of pipes and files unless FORCE_COLOR says otherwise.
if (!process.stdout.isTTY && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0'

await import('./bin/console.js')
