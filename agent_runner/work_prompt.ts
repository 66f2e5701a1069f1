import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PRESETS_DIR } from '#agent_runner/agent_preset'

/** The prompt's values; empty strings leave `{{#name}}…{{/name}}` sections out. */
export type PromptValues = Record<string, string>

/** config/agent_presets/prompt.md: the template every shipped preset uses. */
export function defaultPromptTemplate() {
  return readFileSync(join(PRESETS_DIR, 'prompt.md'), 'utf8')
}

/**
 * Renders a prompt template: `{{name}}` is the value, `{{#name}}…{{/name}}` is kept only when
 * the value is not empty. Unknown names render empty; values are inserted as they are (the
 * prompt is text for a model, not markup).
 */
export function renderPrompt(template: string, values: PromptValues) {
  // A section whose tags stand on their own lines leaves no blank line behind.
  const withSections = template.replace(
    /\{\{#([a-z_]+)\}\}(\n?)([\s\S]*?)\{\{\/\1\}\}(\n?)/g,
    (_, name: string, open: string, inner: string, close: string) => {
      const standalone = open === '\n'
      if (!values[name]) return standalone ? '' : close
      return standalone ? inner : inner + close
    }
  )
  return withSections.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => values[name] ?? '')
}
