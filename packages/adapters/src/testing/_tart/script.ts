/**
 * The fake `tart` program. Kept as text so it can be written next to its state
 * and run by any Node, whatever module format the surrounding folder uses:
 * no `require`, no `import` statements, only `import()`.
 */
export const fakeTartScript = String.raw`
const home = __HOME__
;(async () => {
  const fs = await import('node:fs')
  const path = await import('node:path')
  const settings = JSON.parse(fs.readFileSync(path.join(home, 'settings.json'), 'utf8'))
  const vmsDir = path.join(home, 'vms')
  fs.mkdirSync(vmsDir, { recursive: true })
  const fileOf = (name) => path.join(vmsDir, encodeURIComponent(name) + '.json')
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  const fail = (message, code) => {
    process.stderr.write(message + '\n')
    process.exit(code)
  }
  const alive = (pid) => {
    try { process.kill(pid, 0) } catch { return false }
    try {
      const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8')
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
    } catch { return process.platform !== 'linux' }
  }
  const read = (name) => {
    let vm
    try { vm = JSON.parse(fs.readFileSync(fileOf(name), 'utf8')) } catch { return undefined }
    // A run process that died without cleaning up (SIGKILL) leaves a stopped VM, as tart's lock does.
    if (vm.State === 'running' && !(vm.runPid && alive(vm.runPid))) {
      vm.State = 'stopped'
      delete vm.runPid
      delete vm.startedAt
    }
    return vm
  }
  const write = (vm) => {
    const file = fileOf(vm.Name)
    fs.writeFileSync(file + '.tmp', JSON.stringify(vm, null, 2))
    fs.renameSync(file + '.tmp', file)
  }
  const mustRead = (name) => read(name) ?? fail('the specified VM "' + name + '" does not exist', 2)
  const all = () => fs.readdirSync(vmsDir).filter((f) => f.endsWith('.json')).map((f) => read(decodeURIComponent(f.slice(0, -5)))).filter(Boolean)
  const ipOf = (vm) => {
    if (vm.State !== 'running' || settings.neverIp) return undefined
    if (Date.now() < vm.startedAt + settings.ipAfterMs) return undefined
    let hash = 0
    for (const char of vm.Name) hash = (hash * 31 + char.charCodeAt(0)) % 250
    return '192.168.64.' + (hash + 2)
  }
  const flag = (args, name) => {
    const index = args.indexOf(name)
    if (index === -1) return undefined
    const value = args[index + 1]
    args.splice(index, 2)
    return value
  }
  const summary = (vm) => ({ Source: vm.Source, Name: vm.Name, Disk: vm.Disk, Size: Math.round(Number(vm.Size)), Accessed: vm.Accessed, Running: vm.State === 'running', State: vm.State })

  const [command, ...args] = process.argv.slice(2)
  switch (command) {
    case '--version':
      console.log(settings.version)
      break
    case 'list': {
      const format = flag(args, '--format') ?? 'text'
      const source = flag(args, '--source')
      const vms = all().filter((vm) => !source || vm.Source.toLowerCase() === source.toLowerCase()).map(summary)
      if (format === 'json') console.log(JSON.stringify(vms, null, 2))
      else {
        console.log('Source Name Disk Size Accessed State')
        for (const vm of vms) console.log([vm.Source, vm.Name, vm.Disk, vm.Size, vm.Accessed, vm.State].join(' '))
      }
      break
    }
    case 'get': {
      const format = flag(args, '--format') ?? 'text'
      const vm = mustRead(args[0])
      const config = { OS: vm.OS, CPU: vm.CPU, Memory: vm.Memory, Disk: vm.Disk, DiskFormat: vm.DiskFormat, Size: vm.Size, Display: vm.Display, Running: vm.State === 'running', State: vm.State }
      if (format === 'json') console.log(JSON.stringify(config, null, 2))
      else for (const [key, value] of Object.entries(config)) console.log(key + ' ' + value)
      break
    }
    case 'ip': {
      const wait = Number(flag(args, '--wait') ?? 0)
      const until = Date.now() + wait * 1000
      mustRead(args[0])
      for (;;) {
        const ip = ipOf(mustRead(args[0]))
        if (ip) { console.log(ip); break }
        if (Date.now() >= until) fail('no IP address found, is your VM running?', 1)
        await sleep(100)
      }
      break
    }
    case 'run': {
      // tart run's options as tart 2.x parses them: anything else is a usage error (exit 64).
      const runFlags = ['--no-graphics', '--graphics', '--serial', '--no-audio', '--no-clipboard', '--recovery', '--vnc', '--vnc-experimental', '--nested', '--net-softnet', '--net-softnet-expose', '--net-host', '--suspendable', '--capture-system-keys', '--no-trackpad', '--no-pointer', '--no-keyboard']
      const runOptions = ['--serial-path', '--disk', '--rosetta', '--dir', '--net-bridged', '--net-softnet-allow', '--root-disk-opts']
      const positional = []
      let vnc = false
      for (let index = 0; index < args.length; index++) {
        const arg = args[index]
        const option = arg.split('=')[0]
        if (runFlags.includes(arg)) vnc = vnc || arg === '--vnc' || arg === '--vnc-experimental'
        else if (runOptions.includes(option)) {
          if (option === arg && ++index >= args.length) fail("Error: Missing value for '" + arg + "'", 64)
        } else if (arg.startsWith('-')) fail("Error: Unknown option '" + arg + "'", 64)
        else positional.push(arg)
      }
      if (positional.length !== 1) fail(positional.length ? "Error: Unexpected argument '" + positional[1] + "'" : "Error: Missing expected argument '<name>'", 64)
      const vm = mustRead(positional[0])
      if (vm.State === 'running') fail('the VM "' + vm.Name + '" is already running', 1)
      write({ ...vm, State: 'running', runPid: process.pid, startedAt: Date.now(), Accessed: new Date().toISOString() })
      if (vnc) console.log('Opening vnc://:' + Math.random().toString(36).slice(2, 10) + '@127.0.0.1:5900...')
      const stop = () => {
        const current = read(vm.Name)
        if (current && current.runPid === process.pid) {
          delete current.runPid
          delete current.startedAt
          write({ ...current, State: 'stopped' })
        }
        process.exit(0)
      }
      if (!settings.ignoreStop) {
        process.on('SIGTERM', stop)
        process.on('SIGINT', stop)
      } else {
        process.on('SIGTERM', () => {})
        process.on('SIGINT', () => {})
      }
      setInterval(() => {}, 1 << 30)
      break
    }
    case 'stop': {
      const timeout = Number(flag(args, '--timeout') ?? 30)
      const vm = mustRead(args[0])
      if (vm.State !== 'running') fail('the VM "' + vm.Name + '" is not running', 1)
      process.kill(vm.runPid, 'SIGTERM')
      const until = Date.now() + timeout * 1000
      while (read(vm.Name).State === 'running') {
        if (Date.now() >= until) fail('failed to stop the VM "' + vm.Name + '" in ' + timeout + ' seconds', 1)
        await sleep(50)
      }
      break
    }
    case 'delete': {
      for (const name of args) {
        const vm = mustRead(name)
        if (vm.State === 'running') fail('failed to delete VM "' + name + '": the VM is running', 1)
        fs.rmSync(fileOf(name))
      }
      break
    }
    case 'clone': {
      const [source, target] = args
      const vm = mustRead(source)
      if (read(target)) fail('the VM "' + target + '" already exists', 1)
      delete vm.runPid
      delete vm.startedAt
      write({ ...vm, Name: target, Source: 'local', State: 'stopped', Accessed: new Date().toISOString() })
      break
    }
    case 'pull': {
      const name = args.find((arg) => !arg.startsWith('--'))
      if (!name || !/^[\w.-]+(:\d+)?\/[\w./-]+(:[\w.-]+|@sha256:[a-f0-9]+)?$/.test(name)) fail('invalid remote name: ' + name, 1)
      console.log('pulling manifest...')
      console.log('pulling disk (22.0 GB compressed)...')
      const steps = 10
      for (let step = 0; step <= steps; step++) {
        console.log(step * 10 + '%')
        if (step < steps) await sleep(settings.pullDurationMs / steps)
      }
      const linux = /ubuntu|debian|fedora|linux/.test(name)
      write({ Name: name, Source: 'OCI', OS: linux ? 'linux' : 'darwin', CPU: 4, Memory: linux ? 4096 : 8192, Disk: 50, DiskFormat: 'raw', Size: '22.000', Display: '1024x768', State: 'stopped', Accessed: new Date().toISOString() })
      break
    }
    case 'set': {
      const cpu = flag(args, '--cpu')
      const memory = flag(args, '--memory')
      const diskSize = flag(args, '--disk-size')
      const vm = mustRead(args[0])
      if (diskSize !== undefined && Number(diskSize) < vm.Disk) fail('disk size can only be increased', 1)
      write({ ...vm, CPU: cpu === undefined ? vm.CPU : Number(cpu), Memory: memory === undefined ? vm.Memory : Number(memory), Disk: diskSize === undefined ? vm.Disk : Number(diskSize) })
      break
    }
    default:
      fail('Error: Unknown option ' + JSON.stringify(command) + '\nUsage: tart <subcommand>', 64)
  }
})()
`
