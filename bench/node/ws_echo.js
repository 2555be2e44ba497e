// A WebSocket echo server with the npm package `ws` (the one Node users pick), for
// bench/websocket.sh:  node bench/node/ws_echo.js PORT
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`Server running at http://127.0.0.1:${port}/`));
