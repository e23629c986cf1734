// Benchmark peer: a minimal lobby server on Node + ws@8 speaking lobbyhub's protocol shape
// (welcome, member_joined/member_left, lobby_message relay, direct_message, ping/pong). No limits,
// no health pings.
// Usage: PORT=18081 node server.js
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = parseInt(process.env.PORT || '8080', 10);
const lobbies = new Map(); // lobby -> Set<ws>
const users = new Map(); // user id -> ws (one connection per user), for direct_message
const PATH = /^\/ws\/([A-Za-z0-9_-]{1,64})(?:\?|$)/;

// The token's `sub`, read from the JWT payload. The signature is NOT verified: a peer exists to
// measure the lobby work, not authentication.
function subject(url) {
  const q = url.indexOf('?');
  const token = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('token');
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length < 2) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')).sub || null;
  } catch (e) {
    return null;
  }
}

function broadcast(lobby, except, text) {
  for (const m of lobby) if (m !== except && m.readyState === 1) m.send(text);
}

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const match = PATH.exec(req.url);
  const user = match && subject(req.url);
  if (!user) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const name = match[1];
    let lobby = lobbies.get(name);
    if (!lobby) { lobby = new Set(); lobbies.set(name, lobby); }
    ws.user = user;
    lobby.add(ws);
    users.set(user, ws);
    const members = [];
    for (const m of lobby) members.push(m.user);
    ws.send(JSON.stringify({ type: 'welcome', user_id: user, lobby: name, members }));
    broadcast(lobby, ws, JSON.stringify({ type: 'member_joined', user_id: user }));

    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg;
      try { msg = JSON.parse(raw.toString('utf8')); } catch (e) { return; }
      if (msg === null || typeof msg !== 'object') return;
      if (msg.type === 'lobby_message') {
        // Serialized once, written to every other member.
        broadcast(lobby, ws, JSON.stringify({ type: 'lobby_message', from: user, data: msg.data, ts: Date.now() }));
      } else if (msg.type === 'direct_message') {
        const to = users.get(msg.to);
        if (to && lobby.has(to)) {
          if (to.readyState === 1) to.send(JSON.stringify({ type: 'direct_message', from: user, data: msg.data, ts: Date.now() }));
        } else {
          ws.send(JSON.stringify({ type: 'error', code: 'user_not_found', message: `no member ${msg.to} in this lobby` }));
        }
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', id: msg.id, ts: Date.now() }));
      }
    });
    ws.on('close', () => {
      lobby.delete(ws);
      if (users.get(user) === ws) users.delete(user);
      if (lobby.size === 0) lobbies.delete(name);
      else broadcast(lobby, null, JSON.stringify({ type: 'member_left', user_id: user, reason: 'left' }));
    });
    ws.on('error', () => {});
  });
});

server.listen(port, '0.0.0.0', () => console.log(`node-ws lobby peer listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
