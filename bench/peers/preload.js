// Preload (node -r) that points a Node mail checker at the simulated world.
//
// Node resolves host names through getaddrinfo(), which does not use
// simworld's DNS server, and email-verify dials port 25. This module makes
// every DNS query go to PEER_DNS (ADDRESS:PORT), resolves the host names
// that net.connect() is given through that server, and rewrites the port of
// every TCP connection to PEER_SMTP_PORT. A connection to an address outside
// 127.0.0.0/8 and ::1 raises an error before any packet is sent.
'use strict'

const dns = require('dns')
const net = require('net')

const dnsServer = process.env.PEER_DNS
const smtpPort = Number(process.env.PEER_SMTP_PORT)

if (!dnsServer || !/^127\.\d+\.\d+\.\d+:\d+$/.test(dnsServer)) {
  throw new Error('PEER_DNS must be a loopback ADDRESS:PORT, got ' + dnsServer)
}
if (!Number.isInteger(smtpPort) || smtpPort <= 0 || smtpPort > 65535) {
  throw new Error('PEER_SMTP_PORT must be a TCP port, got ' +
                  process.env.PEER_SMTP_PORT)
}

dns.setServers([dnsServer])
const resolver = new dns.Resolver()
resolver.setServers([dnsServer])

function isLoopback (address) {
  return (net.isIPv4(address) && address.startsWith('127.')) ||
         address === '::1'
}

function loopbackError (address) {
  const err = new Error('not a loopback address: ' + address)
  err.code = 'EPERM'
  return err
}

// A dns.lookup() replacement: A records from the simulated world only.
function lookup (host, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = {}
  }
  options = options || {}
  const answer = (address) => {
    if (!isLoopback(address)) return callback(loopbackError(address))
    if (options.all) return callback(null, [{ address, family: 4 }])
    return callback(null, address, 4)
  }
  if (net.isIP(host)) return process.nextTick(answer, host)
  resolver.resolve4(host, (err, addresses) => {
    if (err) return callback(err)
    answer(addresses[0])
  })
}

dns.lookup = lookup

// net.connect(port, host, cb), net.connect(options, cb) and
// net.connect(path, cb) as Node accepts them.
function connectOptions (args) {
  if (args[0] !== null && typeof args[0] === 'object') {
    return Object.assign({}, args[0])
  }
  const options = { port: args[0] }
  if (typeof args[1] === 'string') options.host = args[1]
  return options
}

const originalConnect = net.createConnection

function loopbackConnect (...args) {
  const callback = args.find((arg) => typeof arg === 'function')
  const options = connectOptions(args)

  if (options.path !== undefined) {
    throw new Error('peer preload: local sockets are not expected')
  }
  options.host = options.host || 'localhost'
  if (options.host === 'localhost') options.host = '127.0.0.1'
  if (net.isIP(options.host) && !isLoopback(options.host)) {
    throw loopbackError(options.host)
  }
  options.port = smtpPort
  options.lookup = lookup
  // Happy eyeballs would ask the lookup for every family; there is one.
  options.autoSelectFamily = false
  return callback
    ? originalConnect.call(net, options, callback)
    : originalConnect.call(net, options)
}

net.createConnection = loopbackConnect
net.connect = loopbackConnect
