// Node.js's http server with coreloop-httpd's /plaintext and /json, for compare_peers.sh.
// Usage: node node_http.js PORT
'use strict';
const http = require('http');

const port = Number(process.argv[2] || 0);
const json = JSON.stringify({ message: 'Hello, World!' });
const server = http.createServer((req, res) => {
  if (req.url === '/plaintext') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 13 });
    res.end('Hello, World!');
  } else if (req.url === '/json') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': json.length });
    res.end(json);
  } else {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
});
server.keepAliveTimeout = 30000;
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
