/** A part of UpCloud's real zone list (`GET /1.3/zone`), as the API sends it. */
export const upcloudZones = [
  { id: 'de-fra1', description: 'Frankfurt #1', public: 'yes' },
  { id: 'es-mad1', description: 'Madrid #1', public: 'yes' },
  { id: 'fi-hel1', description: 'Helsinki #1', public: 'yes' },
  { id: 'fi-hel2', description: 'Helsinki #2', public: 'yes' },
  { id: 'nl-ams1', description: 'Amsterdam #1', public: 'yes' },
  { id: 'pl-waw1', description: 'Warsaw #1', public: 'yes' },
  { id: 'se-sto1', description: 'Stockholm #1', public: 'yes' },
  { id: 'sg-sin1', description: 'Singapore #1', public: 'yes' },
  { id: 'uk-lon1', description: 'London #1', public: 'yes' },
  { id: 'us-chi1', description: 'Chicago #1', public: 'yes' },
  { id: 'us-nyc1', description: 'New York #1', public: 'yes' },
  { id: 'us-sjo1', description: 'San Jose #1', public: 'yes' },
]

/** A part of UpCloud's real plan list (`GET /1.3/plan`); memory in MB, storage and traffic in GB. */
export const upcloudPlans = [
  { core_number: 1, memory_amount: 1024, name: '1xCPU-1GB', public_traffic_out: 1024, storage_size: 25, storage_tier: 'maxiops' },
  { core_number: 1, memory_amount: 2048, name: '1xCPU-2GB', public_traffic_out: 2048, storage_size: 50, storage_tier: 'maxiops' },
  { core_number: 2, memory_amount: 4096, name: '2xCPU-4GB', public_traffic_out: 4096, storage_size: 80, storage_tier: 'maxiops' },
  { core_number: 4, memory_amount: 8192, name: '4xCPU-8GB', public_traffic_out: 5120, storage_size: 160, storage_tier: 'maxiops' },
  { core_number: 6, memory_amount: 16384, name: '6xCPU-16GB', public_traffic_out: 6144, storage_size: 320, storage_tier: 'maxiops' },
]

/** Public templates (`GET /1.3/storage/template`) with UpCloud's UUIDs. */
export const upcloudTemplates = [
  {
    access: 'public',
    license: 0,
    size: 4,
    state: 'online',
    template_type: 'native',
    title: 'Debian GNU/Linux 11 (Bullseye)',
    type: 'template',
    uuid: '01000000-0000-4000-8000-000020060100',
  },
  {
    access: 'public',
    license: 0,
    size: 4,
    state: 'online',
    template_type: 'native',
    title: 'Debian GNU/Linux 12 (Bookworm)',
    type: 'template',
    uuid: '01000000-0000-4000-8000-000020070100',
  },
  {
    access: 'public',
    license: 0,
    size: 4,
    state: 'online',
    template_type: 'native',
    title: 'Ubuntu Server 22.04 LTS (Jammy Jellyfish)',
    type: 'template',
    uuid: '01000000-0000-4000-8000-000030220200',
  },
  {
    access: 'public',
    license: 0,
    size: 4,
    state: 'online',
    template_type: 'native',
    title: 'Ubuntu Server 24.04 LTS (Noble Numbat)',
    type: 'template',
    uuid: '01000000-0000-4000-8000-000030240200',
  },
]
