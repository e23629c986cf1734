// Benchmark peer: a minimal lobby server on Bun.serve (uWebSockets inside) speaking lobbyhub's
// protocol shape (welcome, member_joined/member_left, lobby_message relay, direct_message, ping/pong).
// Lobbies are Bun pub/sub topics, so a relay is serialized once and fanned out natively.
// Usage: PORT=18082 node_modules/.bin/bun server.js
const port = parseInt(process.env.PORT || '8080', 10);
const lobbies = new Map(); // lobby -> Set<user id>
const sockets = new Map(); // user id -> ws (one connection per user), for direct_message
const PATH = /^\/ws\/([A-Za-z0-9_-]{1,64})$/;

// The token's `sub`, read from the JWT payload. The signature is NOT verified: a peer exists to
// measure the lobby work, not authentication.
function subject(token) {
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length < 2) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')).sub || null;
  } catch (e) {
    return null;
  }
}

const server = Bun.serve({
  port,
  hostname: '0.0.0.0',
  fetch(req, server) {
    const url = new URL(req.url);
    const match = PATH.exec(url.pathname);
    const user = match && subject(url.searchParams.get('token'));
    if (!user) return new Response('not found', { status: 404 });
    if (server.upgrade(req, { data: { user, lobby: match[1] } })) return undefined;
    return new Response('upgrade failed', { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    open(ws) {
      const { user, lobby } = ws.data;
      let members = lobbies.get(lobby);
      if (!members) { members = new Set(); lobbies.set(lobby, members); }
      members.add(user);
      sockets.set(user, ws);
      ws.send(JSON.stringify({ type: 'welcome', user_id: user, lobby, members: [...members] }));
      // publish() reaches every subscriber but the sender.
      ws.subscribe(lobby);
      ws.publish(lobby, JSON.stringify({ type: 'member_joined', user_id: user }));
    },
    message(ws, raw) {
      if (typeof raw !== 'string') return;
      let msg;
      try { msg = JSON.parse(raw); } catch (e) { return; }
      if (msg === null || typeof msg !== 'object') return;
      if (msg.type === 'lobby_message') {
        ws.publish(ws.data.lobby, JSON.stringify({ type: 'lobby_message', from: ws.data.user, data: msg.data, ts: Date.now() }));
      } else if (msg.type === 'direct_message') {
        const to = sockets.get(msg.to);
        if (to && to.data.lobby === ws.data.lobby) {
          to.send(JSON.stringify({ type: 'direct_message', from: ws.data.user, data: msg.data, ts: Date.now() }));
        } else {
          ws.send(JSON.stringify({ type: 'error', code: 'user_not_found', message: `no member ${msg.to} in this lobby` }));
        }
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', id: msg.id, ts: Date.now() }));
      }
    },
    close(ws) {
      const { user, lobby } = ws.data;
      if (sockets.get(user) === ws) sockets.delete(user);
      const members = lobbies.get(lobby);
      if (members) {
        members.delete(user);
        if (members.size === 0) lobbies.delete(lobby);
      }
      // The closing socket is already unsubscribed, so this reaches the others only.
      server.publish(lobby, JSON.stringify({ type: 'member_left', user_id: user, reason: 'left' }));
    },
  },
});
console.log(`bun lobby peer listening on ${port}`);
