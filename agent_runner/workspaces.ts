import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContinueFrom } from '#agent_runner/gatehouse_api'

/** Runs git with the runner's git environment; resolves with stdout, rejects on a non-zero exit. */
export type Git = (args: string[], cwd: string) => Promise<string>

export type WorktreeRequest = {
  runId: number
  itemId: number
  title: string
  repo: string
  defaultBranch: string
  continueFrom?: ContinueFrom | null
}

/** One item's checkout: a git worktree of the repository's mirror on the item's branch. */
export type Worktree = {
  dir: string
  /** Beside the worktree, never committed: the prompt, the feedback, the item. */
  runDir: string
  mirror: string
  branch: string
  /** The branch checked out in the worktree: `branch`, unless a kept worktree holds that one. */
  localBranch: string
  /** The commit the branch started from this run: "no changes" means nothing beyond it. */
  baseSha: string
  /** The branch's commit on origin when the run started (null: a new branch). */
  remoteSha: string | null
  /** The branch existed already (an earlier attempt's). */
  continuing: boolean
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/

/** `gatehouse/<item id>-<slug of the title>`. */
export function branchFor(itemId: number, title: string) {
  const full = title
    .normalize('NFKD')
    // Accents become their base letters (é → e), not separators.
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  // At most 40 characters, cut between words when a word would be cut.
  const head = full.slice(0, 41)
  const cut =
    full.length <= 40 ? full : head.includes('-') ? head.replace(/-[^-]*$/, '') : full.slice(0, 40)
  const slug = cut.replace(/-+$/, '')
  return `gatehouse/${itemId}${slug ? `-${slug}` : ''}`
}

/**
 * Checkouts under one directory: a bare mirror per repository (`mirrors/<owner>/<repo>.git`,
 * fetched before every run, never cloned again) and a worktree per run
 * (`runs/run-<id>/worktree`). Mirror changes are serialised per repository within the process.
 */
export default class Workspaces {
  #locks = new Map<string, Promise<unknown>>()

  constructor(
    readonly root: string,
    /** `{repo}` is replaced by `owner/name`; never holds credentials (the askpass helper does). */
    readonly gitUrl: string
  ) {}

  mirrorPath(repo: string) {
    return join(this.root, 'mirrors', `${repo}.git`)
  }

  async prepare(request: WorktreeRequest, git: Git): Promise<Worktree> {
    if (!REPO.test(request.repo) || request.repo.split('/').some((part) => /^\.+$/.test(part))) {
      throw new Error(`not a repository name: ${request.repo}`)
    }
    const mirror = this.mirrorPath(request.repo)
    const runDir = join(this.root, 'runs', `run-${request.runId}`)
    const dir = join(runDir, 'worktree')
    rmSync(runDir, { recursive: true, force: true })
    mkdirSync(runDir, { recursive: true })

    return this.#withMirror(request.repo, async () => {
      await this.#ensureMirror(request.repo, mirror, git)
      await git(['fetch', '--prune', '--quiet', 'origin'], mirror)
      await git(['worktree', 'prune'], mirror)

      const refs = await git(
        ['for-each-ref', '--format=%(refname:lstrip=3)', 'refs/remotes/origin/gatehouse/'],
        mirror
      )
      const remoteBranches = refs.split('\n').filter(Boolean)
      const wanted = request.continueFrom?.branch_name
      const existing =
        wanted && (await this.#remoteSha(mirror, wanted, git))
          ? wanted
          : (remoteBranches.find((name) => name.startsWith(`gatehouse/${request.itemId}-`)) ??
            remoteBranches.find((name) => name === `gatehouse/${request.itemId}`))
      const branch = existing ?? wanted ?? branchFor(request.itemId, request.title)
      const remoteSha = existing ? await this.#remoteSha(mirror, existing, git) : null

      const start = remoteSha ?? (await this.#remoteSha(mirror, request.defaultBranch, git))
      if (!start) {
        throw new Error(`${request.repo} has no branch ${request.defaultBranch} to start from`)
      }
      // A worktree kept from a failed run (--keep-failed) may hold the branch: this run then
      // works on a local branch of its own; it pushes to the item's branch all the same.
      const checkedOut = await git(['worktree', 'list', '--porcelain'], mirror)
      const localBranch = checkedOut.split('\n').includes(`branch refs/heads/${branch}`)
        ? `${branch}-run-${request.runId}`
        : branch
      await git(['worktree', 'add', '--force', '--quiet', '-B', localBranch, dir, start], mirror)
      return {
        dir,
        runDir,
        mirror,
        branch,
        localBranch,
        baseSha: start,
        remoteSha,
        continuing: remoteSha !== null,
      }
    })
  }

  /** Removes the worktree, its run directory and its local branch; prunes the mirror. */
  async remove(worktree: Worktree, repo: string, git: Git) {
    await this.#withMirror(repo, async () => {
      await git(['worktree', 'remove', '--force', worktree.dir], worktree.mirror).catch(() => {})
      rmSync(worktree.runDir, { recursive: true, force: true })
      await git(['worktree', 'prune'], worktree.mirror).catch(() => {})
      await git(['branch', '-D', '--quiet', worktree.localBranch], worktree.mirror).catch(() => {})
    })
  }

  /** The GIT_ASKPASS helper: answers git's prompts from GATEHOUSE_GIT_TOKEN in its environment. */
  askpassPath() {
    const path = join(this.root, 'git-askpass.sh')
    if (!existsSync(path)) {
      mkdirSync(this.root, { recursive: true })
      writeFileSync(
        path,
        '#!/bin/sh\ncase "$1" in\n  Username*) echo x-access-token ;;\n  *) echo "$GATEHOUSE_GIT_TOKEN" ;;\nesac\n',
        { mode: 0o700 }
      )
    }
    return path
  }

  async #ensureMirror(repo: string, mirror: string, git: Git) {
    if (existsSync(join(mirror, 'HEAD'))) return
    // Built aside and renamed into place: a half-made mirror is never mistaken for one.
    const building = `${mirror}.building-${process.pid}`
    rmSync(building, { recursive: true, force: true })
    mkdirSync(building, { recursive: true })
    await git(['init', '--bare', '--quiet', '--template=', building], this.root)
    const url = this.gitUrl.replaceAll('{repo}', repo)
    await git(['config', 'remote.origin.url', url], building)
    await git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], building)
    // Nothing from the repository runs in the runner: no hooks, whatever a checkout holds.
    await git(['config', 'core.hooksPath', '/dev/null'], building)
    renameSync(building, mirror)
  }

  async #remoteSha(mirror: string, branch: string, git: Git) {
    const sha = await git(
      ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`],
      mirror
    ).catch(() => '')
    return sha.trim() || null
  }

  async #withMirror<T>(repo: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(repo) ?? Promise.resolve()
    const result = previous.then(work, work)
    const settled = result.catch(() => {})
    this.#locks.set(repo, settled)
    try {
      return await result
    } finally {
      if (this.#locks.get(repo) === settled) this.#locks.delete(repo)
    }
  }
}
