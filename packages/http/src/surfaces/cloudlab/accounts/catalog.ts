import type { CloudlabPermission } from '../context'

type Entry = [codename: string, label: string, description: string]

/** The reference's static permissions (§4), in its order: their position is their id. */
const entries: Record<string, Entry[]> = {
  instances: [
    ['instances.view', 'View Instances', 'See the cached Vultr instances'],
    ['instances.stop', 'Stop Instances', 'Stop and destroy single instances'],
    ['instances.ssh', 'SSH to Instances', 'Open a terminal on an instance'],
    ['instances.refresh', 'Refresh Instances', 'Re-query Vultr for the instance inventory'],
  ],
  services: [
    ['services.view', 'View Services', 'List services and their details'],
    ['services.deploy', 'Deploy Services', 'Deploy services and run their scripts'],
    ['services.stop', 'Stop Services', "Stop a service's instances"],
    ['services.config.view', 'View Service Configs', "Read a service's configuration files"],
    ['services.config.edit', 'Edit Service Configs', "Change a service's configuration files"],
    ['services.files.view', 'View Service Files', "List and download a service's inputs and outputs"],
    ['services.files.edit', 'Edit Service Files', "Upload, edit and delete a service's inputs and outputs"],
  ],
  jobs: [
    ['jobs.view_own', 'View Own Jobs', 'See the jobs one started'],
    ['jobs.view_all', 'View All Jobs', "See everyone's jobs"],
    ['jobs.cancel', 'Cancel Jobs', 'Cancel a running job'],
  ],
  users: [
    ['users.view', 'View Users', 'List users and their details'],
    ['users.create', 'Invite Users', 'Invite users by e-mail'],
    ['users.edit', 'Edit Users', 'Change, activate and deactivate users'],
    ['users.delete', 'Delete Users', 'Deactivate users'],
    ['users.assign_roles', 'Assign Roles', "Change a user's roles"],
  ],
  roles: [
    ['roles.view', 'View Roles', 'List roles and permissions'],
    ['roles.create', 'Create Roles', 'Create custom roles'],
    ['roles.edit', 'Edit Roles', 'Change custom roles'],
    ['roles.delete', 'Delete Roles', 'Delete custom roles'],
  ],
  system: [
    ['system.settings.view', 'View Settings', 'Read the system settings'],
    ['system.settings.edit', 'Edit Settings', 'Change the system settings'],
    ['system.stop_all', 'Stop All Instances', 'Stop every running instance'],
    ['system.audit_log', 'View Audit Log', 'Read the audit log'],
  ],
  costs: [
    ['costs.view', 'View Costs', 'See the cost report'],
    ['costs.refresh', 'Refresh Costs', 'Re-query the costs'],
  ],
  inventory: [
    ['inventory.tags.manage', 'Manage Tags', 'Create, edit and delete inventory tags'],
    ['inventory.acl.manage', 'Manage ACLs', 'Change object ACLs and tag permissions'],
  ],
}

/** The static permissions, each with its category. */
export const staticPermissions: readonly CloudlabPermission[] = Object.entries(entries).flatMap(([category, list]) =>
  list.map(([codename, label, description]) => ({ codename, category, label, description })),
)

/** Static permissions first, then the run-time ones (inventory types), each codename once. */
export function mergePermissions(dynamic: readonly CloudlabPermission[]): CloudlabPermission[] {
  const seen = new Set(staticPermissions.map((permission) => permission.codename))
  const merged = [...staticPermissions]
  for (const permission of dynamic) {
    if (seen.has(permission.codename)) continue
    seen.add(permission.codename)
    merged.push(permission)
  }
  return merged
}
