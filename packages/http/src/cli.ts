import { defineCommand } from 'citty'
import { consola, LogLevels } from 'consola'
import { runCli } from './commands/runner'
import { version } from './version'

const main = defineCommand({
  meta: {
    name: 'provisio',
    version,
    description: 'Provisio server. Options come from flags, PROVISIO_* variables and provisio.yaml (in that order of precedence); see docs/server.md',
  },
  // Loaded on use, so `--help` and configuration errors answer without loading the server.
  subCommands: {
    serve: () => import('./commands/serve').then((module) => module.serveCommand),
    users: () => import('./commands/users').then((module) => module.usersCommand),
    jobs: () => import('./commands/jobs').then((module) => module.jobsCommand),
    workflows: () => import('./commands/workflows').then((module) => module.workflowsCommand),
    storage: () => import('./commands/storage').then((module) => module.storageCommand),
    policies: () => import('./commands/policies').then((module) => module.policiesCommand),
  },
})

// consola goes quiet under test runners and CI; a server's start-up report must always show.
consola.level = LogLevels.info
void runCli(main)
