// The merchant's webhook receiver for the bench: answers 204 to every POST
// after reading the body, and reports how many it has received when asked.
import { createServer } from 'node:http'

let received = 0
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    received++
    res.writeHead(204).end()
  })
})
server.keepAliveTimeout = 5000
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
process.on('message', message => {
  if (message === 'count') process.send({ type: 'count', received })
})
