import type { OperationSpec } from '@provisio/engine'
import { WorkspaceError } from './errors'
import type { ServerRecord } from './records'
import { serverDrivers } from './server-drivers'

/**
 * The operations deleting a recorded server: its driver's delete steps at the provider, then
 * `forget:<name>`, which removes the record. With `force` the record goes even when the provider
 * refused (a server deleted by hand); the workflow still fails, naming the provider's error.
 */
export function serverDeletion(record: ServerRecord, options: { force: boolean }): OperationSpec[] {
  const driver = serverDrivers.get(record.provider)
  if (!driver) throw new WorkspaceError(`server ${record.name} was created with "${record.provider}", which has no server driver here`, 'invalid_plan')
  const steps = driver.deleteSteps(record.provider_id)
  const operations: OperationSpec[] = []
  let previous: string[] = []
  steps.forEach((step, index) => {
    const id = index === steps.length - 1 ? `delete:${record.name}` : `delete:${record.name}:${index + 1}`
    operations.push({ id, provider: record.provider, action: step.action, input: step.input, dependsOn: previous })
    previous = [id]
  })
  operations.push({
    id: `forget:${record.name}`,
    provider: 'workspace',
    action: 'forget',
    input: { workspace: record.workspace, infra: record.infra, server: record.name },
    dependsOn: previous,
    when: options.force ? 'always' : 'success',
  })
  return operations
}
