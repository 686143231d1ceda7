// Run the npm package email-verify over a list of addresses, the way its
// command line (app.js) does: verify() on every address through bluebird's
// Promise.map with a concurrency limit. The command line prints each result
// object unordered and without the address on DNS errors, so this driver
// calls the same function and writes one CSV line per input row instead.
//
// Usage: node -r ./preload.js email-verify.js IN.tsv OUT.csv CONCURRENCY
//        TIMEOUT_MS
// IN.tsv: "ROW<TAB>ADDRESS" per line. OUT.csv: row,success,code,tryagain,
// error,info. The preload sets the DNS server and the SMTP port.
'use strict'

const fs = require('fs')
const path = require('path')

const modules = path.join(__dirname, 'node_modules')
const Promise = require(path.join(modules, 'bluebird'))
const verify = Promise.promisify(require(path.join(modules, 'email-verify')).verify)

const [input, output, concurrencyText, timeoutText] = process.argv.slice(2)
const concurrency = parseInt(concurrencyText, 10)
const timeout = parseInt(timeoutText, 10)

if (!input || !output || !(concurrency > 0) || !(timeout > 0)) {
  console.error('usage: email-verify.js IN.tsv OUT.csv CONCURRENCY TIMEOUT_MS')
  process.exit(1)
}

function csvField (value) {
  const text = value === undefined || value === null ? '' : String(value)
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text
}

const rows = fs.readFileSync(input, 'utf8').split('\n')
  .filter((line) => line.length > 0)
  .map((line) => {
    const tab = line.indexOf('\t')
    return { row: line.slice(0, tab), email: line.slice(tab + 1) }
  })

// The same options as app.js, with its -p, -dns, -t, -sd and -f values.
const options = {
  port: Number(process.env.PEER_SMTP_PORT),
  dns: process.env.PEER_DNS,
  timeout,
  sender: 'check@probe.listclean.test',
  fqdn: 'probe.listclean.test'
}

const results = new Array(rows.length)

// "queryMx:ENOTFOUND" for DNS errors, "connect:ECONNREFUSED" for sockets.
function errorName (err) {
  if (!err) return ''
  return (err.syscall ? err.syscall + ':' : '') + (err.code || err.message)
}

function record (index, info, err) {
  info = info || {}
  results[index] = [rows[index].row, info.success === true, info.code,
    info.tryagain === true, errorName(err),
    info.info].map(csvField).join(',')
}

Promise.map(rows, (item, index) => {
  // email-verify throws on an empty address instead of calling back.
  if (item.email === '') {
    record(index, { success: false, code: 2, info: 'Missing email' }, null)
    return null
  }
  const individual = Object.assign({ email: item.email }, options)
  return verify(individual)
    .then((info) => record(index, info, null))
    .catch((err) => record(index, err.info || null, err))
}, { concurrency }).then(() => {
  const header = 'row,success,code,tryagain,error,info\n'
  fs.writeFileSync(output, header + results.join('\n') + '\n')
})
