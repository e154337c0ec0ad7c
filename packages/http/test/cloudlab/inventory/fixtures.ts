/** An inventory_types/ folder as CloudLab Manager keeps it, with two files its loader skips. */
export const typeFiles: Record<string, string> = {
  // The reference's own example (§5), as it is.
  'inventory_types/database.yaml': `slug: database
label: Databases
fields:
  - {name: name, type: string, required: true, unique: true, searchable: true}
  - {name: engine, type: enum, options: [postgres, mysql]}
  - {name: admin_password, type: secret}
actions:
  - {name: backup, label: Back up, type: playbook, playbook: /init_playbook/db-backup.yaml,
     vars_mapping: {db_name: "{{ name }}"}, confirm: "Start a backup?"}
  - {name: restart_all, label: Restart all, type: script, script: restart.sh, scope: type}
sync: {source: service_discovery}
`,
  'inventory_types/app.yml': `slug: app
label: Apps
icon: box
description: Apps we run
fields:
  - name: name
    type: string
    required: true
    unique: true
    searchable: true
  - name: owner
    type: string
    searchable: true
  - name: serial
    type: string
    readonly: true
actions:
  - name: hello
    label: Say hello
    type: script
    script: hello.sh
  - name: fail
    type: script
    script: fail.sh
  - name: view
    type: script
    script: hello.sh
`,
  'inventory_types/broken.yaml': 'slug: broken\nlabel: [unclosed\n',
  'inventory_types/nofields.yaml': 'slug: nofields\nlabel: No fields\n',
  'inventory_types/badtype.yaml': 'slug: badtype\nlabel: Bad\nfields:\n  - {name: a, type: colour}\n',
  'inventory_types/notes.txt': 'not a type',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script's parameter expansion
  'services/app/hello.sh': 'echo "hello from $(basename $PWD)"\necho "greeting=${INPUT_GREETING:-none}"\nfor i in 1 2 3; do echo "line $i"; sleep 0.2; done\n',
  'services/app/fail.sh': 'echo "about to fail"\nexit 3\n',
  'services/app/deploy.sh': 'echo deploying\necho DEPLOYMENT_ID=dep-42\n',
  'services/app/scripts.yaml': 'scripts:\n  - {name: greet, label: Greet, file: hello.sh, inputs: [{name: greeting, type: text}]}\n',
  'services/database/restart.sh': 'echo "restarting all databases"\n',
  'services/other/README.md': 'not a service: no deploy.sh\n',
}
