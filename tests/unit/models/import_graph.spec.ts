import { test } from '@japa/runner'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Models are the low layer: a model may use the low-level pieces (job queue, claimable
 * notifications, token provider, …) but never a workflow (claims, run lifecycle, gate
 * evaluation, GitHub), and nothing a model uses may import a model back. Read from the
 * source's imports (type imports included), so the rule cannot silently regress.
 */
const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '../../..'))
const ALIASES: Record<string, string> = JSON.parse(
  readFileSync(join(ROOT, 'package.json'), 'utf8')
).imports

/** The workflows: claims, runs (lifecycle, gate evaluation, reaper), GitHub. */
const WORKFLOWS = [/^app\/services\/(claims|runs|github)\//]

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** `#alias/x.js` and `./x.js` imports of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8')
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
    (match) => match[1]
  )
  return specifiers.flatMap((specifier) => {
    let target: string | null = null
    if (specifier.startsWith('#')) {
      const alias = Object.keys(ALIASES).find((key) => specifier.startsWith(key.slice(0, -1)))
      if (alias) target = ALIASES[alias].replace('*', specifier.slice(alias.length - 1))
    } else if (specifier.startsWith('.')) {
      target = join(dirname(file), specifier)
    }
    if (!target) return []
    const path = normalize(target).replace(/\.js$/, '.ts')
    return existsSync(join(ROOT, path)) ? [path] : []
  })
}

function importGraph() {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles('app')) graph.set(file, importsOf(file))
  return graph
}

/** Every file reachable from `start`, with the path that reaches it. */
function reachable(graph: Map<string, string[]>, start: string) {
  const paths = new Map<string, string[]>([[start, [start]]])
  const queue = [start]
  while (queue.length > 0) {
    const file = queue.shift()!
    for (const next of graph.get(file) ?? []) {
      if (paths.has(next)) continue
      paths.set(next, [...paths.get(file)!, next])
      queue.push(next)
    }
  }
  return paths
}

const isModel = (file: string) => file.startsWith('app/models/')

test.group('Import graph of app/models', () => {
  test('the walker sees imports (a workflow reaches the models and the gate evaluator)', ({
    assert,
  }) => {
    const graph = importGraph()
    const lifecycle = [...graph.keys()].find((file) => /\/run_lifecycle\.ts$/.test(file))!
    const reached = [...reachable(graph, lifecycle).keys()]
    assert.include(reached, 'app/models/run.ts')
    assert.isTrue(reached.some((file) => /\/gate_evaluator\.ts$/.test(file)))
  })

  test('no model reaches a workflow (claims, runs, gates, GitHub)', ({ assert }) => {
    const graph = importGraph()
    const offences = [...graph.keys()]
      .filter(isModel)
      .flatMap((model) =>
        [...reachable(graph, model)]
          .filter(([file]) => WORKFLOWS.some((workflow) => workflow.test(file)))
          .map(([, path]) => path.join(' → '))
      )
    assert.deepEqual(offences, [])
  })

  test('what a model uses imports no model back (only models import each other in a cycle)', ({
    assert,
  }) => {
    const graph = importGraph()
    const offences = [...graph.keys()]
      .filter(isModel)
      .flatMap((model) =>
        [...reachable(graph, model)]
          .filter(([file]) => !isModel(file))
          .flatMap(([file, path]) =>
            [...reachable(graph, file)]
              .filter(([back]) => isModel(back))
              .map(([, backPath]) => [...path, ...backPath.slice(1)].join(' → '))
          )
      )
    assert.deepEqual([...new Set(offences)], [])
  })
})
