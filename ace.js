/*
 * Ace entry point. `npm run ace -- <command>` runs it on the project's Node 24;
 * ts-exec compiles the TypeScript sources on the fly.
 */
import '@poppinss/ts-exec'

await import('./bin/console.js')
