// aedes-server.js — starts the aedes MQTT broker on 127.0.0.1:PORT for pcs to test.
// usage: node aedes-server.js PORT
'use strict'
const net = require('net')
const { Aedes } = require('aedes')

const port = Number(process.argv[2] || 1883)
Aedes.createBroker().then((broker) => {
  const server = net.createServer(broker.handle)
  server.listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`))
  const stop = () => server.close(() => broker.close(() => process.exit(0)))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
})
