// The Node.js `ws` peer of the WebSocket figures (bench/peers/README.md):
// what the original server used. Answers the way the floor does: the first
// text message of a connection gets a registration-shaped reply, every later
// one a PING-Notification-shaped reply of the size sela-server sends; ping
// frames are answered by ws itself. ws defaults (no permessage-deflate),
// with bufferutil installed as ws recommends.
//
// Usage: node ws_server.js PORT_FILE   (listens on 127.0.0.1, a free port)
'use strict';
const fs = require('fs');
const { WebSocketServer } = require('ws');

const REGISTERED =
  '{"success":true,"message":"Client registered successfully","clientId":1,"sessionId":1}';
const PING_REPLY =
  '{"function":"Notification","type":"PING","message":"Client connect open","principal":"loadgen-000000"}';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096 });
wss.on('connection', (ws) => {
  let registered = false;
  ws.on('message', () => {
    ws.send(registered ? PING_REPLY : REGISTERED);
    registered = true;
  });
  ws.on('error', () => {});
});
wss.on('listening', () => {
  const portFile = process.argv[2];
  if (portFile) {
    fs.writeFileSync(portFile + '.tmp', String(wss.address().port) + '\n');
    fs.renameSync(portFile + '.tmp', portFile);
  }
});
process.on('SIGTERM', () => process.exit(0));
