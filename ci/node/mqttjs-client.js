// mqttjs-client.js — performs one client action with mqtt.js against a broker and exits: the
// `mqttjs` client target of ci/targets.yaml (docs/targets.md lists the actions and their vars).
//
// usage: node mqttjs-client.js ACTION --port P --version 3.1.1|5.0 [--host H] [--client-id ID]
//          [--topic T] [--payload M] [--qos N] [--count N] [--username U] [--password P]
//          [--will-topic T] [--will-payload M] [--keepalive S] [--deadline S]
//
// Exit status: 0 when the action completed (subscribe_keepalive: when the broker closed the
// connection), 1 on any error (refused CONNACK, connection closed early, rejected
// subscription, deadline passed), 2 on bad arguments. The client never reconnects.
'use strict'
const { parseArgs } = require('util')
const mqtt = require('mqtt')

const ACTIONS = {
  publish: ['client-id', 'topic', 'payload', 'qos'],
  publish_retained: ['client-id', 'topic', 'payload', 'qos'],
  publish_will: ['client-id', 'topic', 'payload', 'will-topic', 'will-payload'],
  publish_login: ['client-id', 'topic', 'payload', 'qos', 'username', 'password'],
  publish_many: ['client-id', 'topic', 'payload', 'qos', 'count'],
  subscribe: ['client-id', 'topic', 'qos', 'count'],
  subscribe_keepalive: ['client-id', 'topic', 'qos', 'keepalive'],
  unsubscribe: ['client-id', 'topic']
}
const VERSIONS = { '3.1.1': 4, '5.0': 5 }

function usage (msg) {
  process.stderr.write(`mqttjs-client: ${msg}\n` +
    'usage: node mqttjs-client.js ACTION --port P --version 3.1.1|5.0 [--OPTION VALUE ...]\n' +
    `actions: ${Object.keys(ACTIONS).join(', ')}\n`)
  process.exit(2)
}

const str = { type: 'string' }
let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      host: str, port: str, version: str, 'client-id': str, topic: str, payload: str, qos: str,
      count: str, username: str, password: str, 'will-topic': str, 'will-payload': str,
      keepalive: str, deadline: str
    }
  })
} catch (e) {
  usage(e.message)
}
const o = parsed.values
const action = parsed.positionals[0]
if (parsed.positionals.length !== 1 || !ACTIONS[action]) usage(`unknown action '${action}'`)
for (const k of ['port', 'version', ...ACTIONS[action]]) {
  if (o[k] === undefined) usage(`${action} needs --${k}`)
}
if (!VERSIONS[o.version]) usage(`unknown MQTT version '${o.version}'`)
const int = (k, lo, hi) => {
  if (o[k] === undefined) return undefined
  const n = Number(o[k])
  if (!Number.isInteger(n) || n < lo || n > hi) usage(`--${k} must be an integer in ${lo}..${hi}`)
  return n
}
const port = int('port', 1, 65535)
const qos = int('qos', 0, 2) ?? 0
const count = int('count', 1, 1000000)
const keepalive = int('keepalive', 0, 65535)
// Every action is bounded; the idle one by a few Keep Alive periods on top.
const deadline = int('deadline', 1, 86400) ?? 30 + 3 * (keepalive || 0)

function fail (msg) {
  process.stderr.write(`mqttjs-client: ${action}: ${msg}\n`)
  process.exit(1)
}
setTimeout(() => fail(`not done after ${deadline} s`), deadline * 1000)

const opts = {
  host: o.host || '127.0.0.1',
  port,
  protocolVersion: VERSIONS[o.version],
  clientId: o['client-id'],
  clean: true,
  reconnectPeriod: 0, // one connection: a close ends the action
  connectTimeout: 10000
}
if (keepalive !== undefined) opts.keepalive = keepalive
if (action === 'publish_login') {
  opts.username = o.username
  opts.password = o.password
}
if (action === 'publish_will') {
  opts.will = { topic: o['will-topic'], payload: o['will-payload'], qos: 0, retain: false }
}

const client = mqtt.connect(opts)
let ending = null // once the action is over: the exit status, a close is then expected

// Ends the action (done, or refused by the server: status 1 and why): DISCONNECT, then exit
// once the connection has closed.
function finish (status = 0, msg = '') {
  if (ending !== null) return
  ending = status
  if (msg) process.stderr.write(`mqttjs-client: ${action}: ${msg}\n`)
  client.end(false, () => process.exit(status))
}

client.on('error', (e) => fail(e.message))
client.on('close', () => {
  if (ending !== null) process.exit(ending)
  if (action === 'subscribe_keepalive') process.exit(0)
  fail('the connection closed before the action completed')
})

// subscribe: a message counts once its QoS flow is complete on our side (QoS 0 received,
// QoS 1 PUBACK sent, QoS 2 PUBCOMP sent), so DISCONNECT follows the last acknowledgement.
let received = 0
function delivered () {
  if (action === 'subscribe' && ++received === count) finish()
}
client.on('packetreceive', (p) => { if (p.cmd === 'publish' && p.qos === 0) delivered() })
// mqtt.js emits `packetsend` just before it writes the packet: count it once written.
client.on('packetsend', (p) => {
  if (p.cmd === 'puback' || p.cmd === 'pubcomp') process.nextTick(delivered)
})

function subscribed (next) {
  return (err, granted) => {
    if (err) fail(`SUBSCRIBE: ${err.message}`)
    const bad = (granted || []).filter((g) => g.qos >= 0x80)
    if (bad.length) return finish(1, `SUBSCRIBE refused (SUBACK 0x${bad[0].qos.toString(16)})`)
    if (next) next()
  }
}

client.once('connect', () => {
  const pubOpts = { qos, retain: action === 'publish_retained' }
  switch (action) {
    case 'publish':
    case 'publish_retained':
    case 'publish_login':
      client.publish(o.topic, o.payload, pubOpts, (err) => finish(err ? 1 : 0, err?.message))
      break
    case 'publish_will':
      client.publish(o.topic, o.payload, { qos: 0 }, (err) => finish(err ? 1 : 0, err?.message))
      break
    case 'publish_many': {
      // As an application would: all `count` messages at once; mqtt.js decides when each goes
      // out. DISCONNECT after the last one's QoS flow completed.
      let acked = 0
      for (let i = 0; i < count; i++) {
        client.publish(o.topic, o.payload, pubOpts, (err) => {
          if (err) finish(1, err.message)
          else if (++acked === count) finish()
        })
      }
      break
    }
    case 'subscribe':
    case 'subscribe_keepalive':
      client.subscribe(o.topic, { qos }, subscribed(null))
      break
    case 'unsubscribe':
      client.subscribe(o.topic, { qos: 0 }, subscribed(() => {
        client.unsubscribe(o.topic, (err) => finish(err ? 1 : 0, err && `UNSUBSCRIBE: ${err.message}`))
      }))
      break
  }
})
