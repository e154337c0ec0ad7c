import { typeConfigSchema, type InventoryTypeConfig } from './type-config'

/**
 * The four types CloudLab's wiki calls built in (servers, services, users, deployments), each
 * filled by its sync source. A file of the inventory-types folder with the same slug replaces one.
 */
const builtins = [
  {
    slug: 'server',
    label: 'Servers',
    icon: 'server',
    description: 'Vultr cloud instances',
    fields: [
      { name: 'hostname', label: 'Hostname', type: 'string', required: true, unique: true, searchable: true },
      { name: 'ip_address', label: 'IP Address', type: 'string', searchable: true },
      { name: 'region', label: 'Region', type: 'string' },
      { name: 'plan', label: 'Plan', type: 'string' },
      { name: 'os', label: 'OS', type: 'string' },
      { name: 'power_status', label: 'Power', type: 'string' },
      { name: 'vultr_id', label: 'Vultr ID', type: 'string', readonly: true },
      { name: 'vultr_label', label: 'Vultr Label', type: 'string', searchable: true },
      { name: 'vultr_tags', label: 'Tags', type: 'json' },
    ],
    actions: [{ name: 'ssh', label: 'SSH Terminal', type: 'builtin', icon: 'terminal' }],
    sync: { source: 'vultr_inventory' },
  },
  {
    slug: 'service',
    label: 'Services',
    icon: 'package',
    description: 'Deployable services found in the services folder',
    fields: [
      { name: 'name', label: 'Name', type: 'string', required: true, unique: true, searchable: true },
      { name: 'service_dir', label: 'Directory', type: 'string', readonly: true },
      { name: 'status', label: 'Status', type: 'string' },
    ],
    actions: [
      { name: 'deploy', label: 'Deploy', type: 'script', script: 'deploy.sh', icon: 'rocket' },
      { name: 'run_script', label: 'Run Script', type: 'dynamic_scripts', icon: 'play' },
      { name: 'stop', label: 'Stop', type: 'script_stop', icon: 'square', confirm: 'Destroy every instance of this service?' },
    ],
    sync: { source: 'service_discovery' },
  },
  {
    slug: 'user',
    label: 'Users',
    icon: 'user',
    description: 'CloudLab Manager user accounts',
    fields: [
      { name: 'username', label: 'Username', type: 'string', required: true, unique: true, searchable: true },
      { name: 'display_name', label: 'Display Name', type: 'string', searchable: true },
      { name: 'email', label: 'Email', type: 'string', searchable: true },
      { name: 'ssh_public_key', label: 'SSH Public Key', type: 'text' },
      { name: 'role', label: 'Roles', type: 'string' },
      { name: 'status', label: 'Status', type: 'enum', options: ['active', 'invited', 'inactive'] },
    ],
    actions: [],
    sync: { source: 'user_sync' },
  },
  {
    slug: 'deployment',
    label: 'Deployments',
    icon: 'layers',
    description: 'Finished deploy jobs that reported a deployment id',
    fields: [
      { name: 'service_name', label: 'Service', type: 'string', searchable: true },
      { name: 'deployment_id', label: 'Deployment ID', type: 'string', searchable: true },
      { name: 'hostname', label: 'Hostname', type: 'string', searchable: true },
      { name: 'ip_address', label: 'IP Address', type: 'string' },
      { name: 'status', label: 'Status', type: 'string' },
      { name: 'deployed_by', label: 'Deployed By', type: 'string', searchable: true },
      { name: 'job_id', label: 'Job', type: 'string', unique: true, readonly: true },
      { name: 'started_at', label: 'Started', type: 'datetime' },
      { name: 'finished_at', label: 'Finished', type: 'datetime' },
    ],
    actions: [],
    sync: { source: 'deployment_sync' },
  },
]

export const builtinTypes: readonly InventoryTypeConfig[] = builtins.map((type) => typeConfigSchema.parse(type))
