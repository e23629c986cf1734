// The demo lobby page. Everything that arrives from the network (user ids, reasons, chat text, board
// colours, numbers) is written with textContent or checked against a strict pattern: no value from
// another player ever reaches an HTML sink. The page's Content-Security-Policy backs that up.
import { LobbyClient, LobbyhubHttpError, closeDecision } from '/lobbyhub-client.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const colors = ['#5b8cff', '#3ccf8e', '#f5b74e', '#ff6b6b', '#c77dff', '#4cc9f0', '#ff8fab', '#a3e635', '#f97316', '#94a3b8'];
const colorOf = (id) => colors[[...String(id)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % colors.length];
const COLOR = /^#[0-9a-f]{6}$/i;
const CELLS = 100;
const DEV_ADMIN_KEY = 'dev-admin-key';
const TOKEN_KEY = 'lobbyhub-demo-token';

/** What each close means to a player; whether the client retries comes from the client library itself. */
const meaning = {
  normal: 'closed normally', protocol_error: 'the client broke the WebSocket protocol',
  invalid_payload: 'a message was not valid UTF-8', message_too_big: 'a message was too big',
  internal_error: 'server fault', server_shutdown: 'the server is restarting',
  backplane_unavailable: 'the cluster backplane is down', server_busy: 'the server is busy (too many players connecting)',
  invalid_lobby: 'invalid lobby code',
  unauthorized: 'token refused', server_full: 'the server is full', lobby_full: 'the lobby is full',
  forbidden: 'this token may not join this lobby', origin_not_allowed: 'this page\'s origin is not allowed',
  stale: 'evicted as stale (no answer to health pings)',
  replaced: 'replaced by a newer connection of the same player (another tab?)',
  kicked: 'kicked out (by the lobby\'s owner or the game backend)', lobby_locked: 'the lobby is locked', rate_limited: 'rate limited', slow_consumer: 'too slow to read',
  duplicate_session: 'already connected elsewhere',
  // Not from the server: the client library gave up a connection that stopped delivering.
  silent: 'no health ping came for two and a half intervals (network gone?)',
  connect_timeout: 'the connection did not open in time',
};
const plan = { backoff: 'reconnecting', hint: 'reconnecting after the server\'s hint', pause: 'pausing, then reconnecting',
  new_token: 'getting a new token' };

/** Why a close happened and what the client does next, in words. */
function explainClose(code, reason) {
  const decision = closeDecision(code, reason);
  const word = reason.replace(/:\d+$/, ''); // a retry hint (server_busy:2750) is not part of the word
  const what = Object.prototype.hasOwnProperty.call(meaning, word) ? meaning[word] : 'connection lost';
  if (decision.retry && decision.hintMs !== undefined) return `${what}: reconnecting when the server said`;
  return `${what}: ${decision.retry ? plan[decision.wait] : 'will not reconnect'}`;
}

/** An element with text content only. */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** Adds a line to "What happened"; parts are strings (plain text) or [text] (shown in bold). */
function log(...parts) {
  const li = el('li');
  li.append(el('small', new Date().toLocaleTimeString()), ' ');
  for (const part of parts) li.append(Array.isArray(part) ? el('strong', part[0]) : String(part));
  $('log').prepend(li);
}

/** The latest thing worth knowing, pinned under the header so a phone shows it without scrolling. */
function notice(text) {
  $('notice').textContent = text;
  $('notice').classList.toggle('hidden', !text);
}

class NoDevTokens extends Error {}

async function devToken(user) {
  const answer = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
  if (answer.status === 404) throw new NoDevTokens('this server has no dev tokens');
  if (!answer.ok) throw new Error(`dev token endpoint answered ${answer.status}`);
  if (!$('admin-key').value) $('admin-key').value = DEV_ADMIN_KEY; // dev tokens mean a dev build and its key
  return (await answer.json()).token;
}

/** The page's address for a player and a lobby. Never with a token: an address ends up in history, screenshots and shared links. */
function pageUrl(user, lobby) {
  return `/?${new URLSearchParams({ user, lobby })}`;
}

/**
 * A given token is kept for reloads in sessionStorage: this tab only (and a tab it opens), gone when it closes.
 * Without storage (disabled by the browser) a reload asks for the token again.
 */
function rememberToken(user, lobby, token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ user, lobby, token }));
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // no storage: nothing to keep
  }
}

/** The token kept for this player and lobby, or '' (then dev tokens are asked for). */
function rememberedToken(user, lobby) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
    return kept && kept.user === user && kept.lobby === lobby && typeof kept.token === 'string' ? kept.token : '';
  } catch (e) {
    return '';
  }
}

/**
 * @param {string} user
 * @param {string} lobby
 * @param {string} token a token given by hand, or '' for dev tokens
 * @param {LobbyClient} [client] one made already (Play made it for quick join); else a new one for this lobby
 */
function start(user, lobby, token, client = new LobbyClient({ lobby, token: tokenFunction(user, token) })) {
  $('join').classList.add('hidden');
  $('find').classList.add('hidden');
  $('game').classList.remove('hidden');
  $('who').textContent = `${user} in ${lobby}`;
  // A reload or a new tab needs the token where there are no dev tokens: it is kept in sessionStorage, and the
  // address (which may have brought it) is replaced by one without it.
  rememberToken(user, lobby, token);
  $('replace').href = pageUrl(user, lobby);
  history.replaceState(null, '', $('replace').href);

  window.lobby = client;
  const rtts = new Map();
  /** When each away player's held seat ends (Date.now() ms), as its member_away said. */
  const heldUntil = new Map();
  const cells = new Array(CELLS).fill(null);
  let me = user;
  let synced = false;

  client.on('state', (s) => {
    const pill = $('state');
    pill.className = `pill ${s.state}`;
    pill.textContent = s.code ? `${s.state} · ${s.code} ${s.reason}` : s.state;
    pill.dataset.state = s.state;
    pill.dataset.code = s.code ?? '';
    if (s.code) {
      const why = explainClose(s.code, s.reason || '');
      log([`${s.code} ${s.reason || ''}`], ` ${why}`, s.retryInMs != null ? ` (in ${s.retryInMs} ms)` : '');
      notice(`${s.code} ${s.reason || ''}: ${why}`);
      if (s.code === 4004 && !client.answerHealthPings) unfreeze('evicted once as stale: answering health pings again');
    }
    if (s.state === 'open') notice('');
    // Not connected: the members shown would be stale.
    if (s.state === 'reconnecting') renderMembers(client.members);
    if (s.state === 'closed') ended(s.code ? explainClose(s.code, s.reason || '') : 'you left');
  });
  client.on('token_error', (e) => {
    if (e.error instanceof NoDevTokens) {
      client.close();
      ended('this server has no dev tokens (a production build). Open this page as '
        + '/?user=<name>&lobby=<code>&token=<a JWT signed by your backend>, or paste a token in the form.');
      return;
    }
    log(['token error'], ` ${e.error instanceof Error ? e.error.message : String(e.error)}; trying again in ${e.retryInMs} ms`);
    // fetch() fails with a TypeError when nothing answers (the node is down, the network is gone).
    notice(e.error instanceof TypeError ? `The server cannot be reached: trying again in ${e.retryInMs} ms`
      : `could not get a token: trying again in ${e.retryInMs} ms`);
  });
  client.on('welcome', (w) => {
    me = w.user_id;
    if (w.recovered === true) {
      // Back in the same seat: the moves and chat missed meanwhile follow, in order, once each.
      synced = true;
      log(['recovered'], ': what was missed follows');
      notice('You got your seat back: what you missed follows.');
      return;
    }
    log(['welcome'], ` as ${w.user_id}; ${w.members.length} in the lobby`);
    // lobbyhub keeps no game state: a late joiner asks a member for the board, as a real game would.
    // So does a player whose reconnect could not be recovered.
    requestBoard();
  });
  client.on('recovered', (r) => {
    if (r.recovered) return;
    log(['not recovered'], ': what happened while away could not be replayed');
    notice('Reconnected, but what was said and drawn while you were away could not be replayed: '
      + 'the chat may be missing lines, and the board is copied again from another player.');
  });
  client.on('gap', (g) => {
    log(['gap'], ` ${Number(g.to) - Number(g.from) + 1} lobby messages could not be delivered`);
    notice('Some messages could not be delivered: the chat may be missing lines, and the board is copied again.');
    requestBoard();
  });
  client.on('log_reset', () => log(['log reset'], ': the server lost the lobby\'s history'));
  client.on('members', renderMembers);
  const away = (m) => (m.replayed ? ' (while you were away)' : '');
  client.on('member_joined', (m) => log([m.user_id], ` joined${away(m)}`));
  client.on('member_left', (m) => {
    rtts.delete(m.user_id);
    heldUntil.delete(m.user_id);
    log([m.user_id], ` left (${m.reason})${away(m)}`);
  });
  // A player whose connection dropped keeps its seat for a while (held seats): shown greyed, with the
  // seconds left, until back or gone.
  client.on('member_away', (m) => {
    log([m.user_id], ` dropped (${m.reason}): seat held for ${Math.round(Number(m.hold_ms) / 1000)} s${away(m)}`);
    if (!m.replayed) heldUntil.set(m.user_id, Date.now() + Number(m.hold_ms));
    renderMembers(client.members);
  });
  client.on('member_back', (m) => {
    heldUntil.delete(m.user_id);
    log([m.user_id], ` is back${away(m)}`);
    renderMembers(client.members);
  });
  setInterval(() => { if (client.away.length) renderMembers(client.members); }, 1000);
  // The game room (SPEC §12): who owns it, whether it is locked, its mode, who is ready.
  client.on('owner', () => renderRoom());
  client.on('lobby', () => renderRoom());
  client.on('owner_changed', (o) => log([o.user_id], ` owns the lobby now${o.previous ? ` (was ${o.previous})` : ''}${away(o)}`));
  client.on('lobby_updated', (u) => log([u.by ?? 'the game backend'], ` ${u.locked ? 'locked' : 'unlocked'} the lobby, mode ${modeOf(u.properties)}${away(u)}`));
  client.on('member_updated', (m) => { if (!m.replayed) renderMembers(client.members); });
  $('ready').addEventListener('click', () => {
    const ready = !isReady(me);
    client.updateMe({ ...(client.memberProperties[me] || {}), ready });
  });
  $('lock').addEventListener('click', () => {
    if (client.lobby) client.updateLobby({ locked: !client.lobby.locked });
  });
  $('mode').addEventListener('change', () => {
    if (client.lobby) client.updateLobby({ properties: { ...client.lobby.properties, mode: $('mode').value } });
  });
  client.on('server_shutdown', (s) => log(['server_shutdown'], ` reconnecting after ${Number(s.reconnect_after_ms)} ms`));
  client.on('error', (e) => log([`error ${e.code}`], ` ${e.message}`));
  client.on('lobby_message', (m) => onData(m.from, m.data, false, m.replayed === true));
  client.on('direct_message', (m) => onData(m.from, m.data, true, m.replayed === true));
  client.connect();

  const board = $('board');
  board.replaceChildren();
  for (let i = 0; i < CELLS; i++) {
    const cell = el('div');
    cell.dataset.cell = String(i);
    cell.setAttribute('role', 'gridcell');
    cell.addEventListener('click', () => {
      if (client.state !== 'open') return;
      paint(i, colorOf(me));
      client.sendLobby({ kind: 'paint', cell: i, color: colorOf(me) });
    });
    board.append(cell);
  }
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    if (!text || client.state === 'closed') return;
    client.sendLobby({ kind: 'chat', text });
    say(me, text);
    $('chat-input').value = '';
  });
  const measure = async () => {
    if (client.state !== 'open' || !client.answerHealthPings) return;
    const rtt = await client.ping();
    rtts.set(me, rtt);
    client.sendLobby({ kind: 'rtt', ms: rtt });
    renderMembers(client.members);
  };
  $('measure').addEventListener('click', measure);
  setInterval(measure, 3000);
  $('hang').addEventListener('click', () => {
    if (client.answerHealthPings) {
      client.answerHealthPings = false;
      $('hang').textContent = 'Unfreeze';
      log(['frozen'], ': sending nothing, not even health pongs; expect one stale eviction');
    } else {
      unfreeze('answering health pings again');
    }
  });
  function unfreeze(why) {
    client.answerHealthPings = true;
    $('hang').textContent = 'Freeze this tab';
    log(why);
  }
  $('kick').addEventListener('click', async () => {
    const target = $('kick-user').value.trim();
    if (!target) return;
    const answer = await fetch(`/api/v1/users/${encodeURIComponent(target)}/connection`, {
      method: 'DELETE', headers: { Authorization: `Bearer ${$('admin-key').value}` } });
    log(`kick ${target}: HTTP ${answer.status}`);
  });
  $('rejoin').addEventListener('click', () => {
    $('final').classList.add('hidden');
    $('game').classList.remove('ended');
    setPlayable(true);
    notice('');
    client.connect();
  });

  function ended(why) {
    $('final-why').textContent = `This tab will not reconnect (${why.replace(/: will not reconnect$/, '')}).`;
    $('final').classList.remove('hidden');
    $('game').classList.add('ended');
    setPlayable(false);
    notice(`disconnected: ${why}`);
  }
  function setPlayable(on) {
    for (const id of ['chat-input', 'chat-send', 'measure', 'hang', 'ready', 'lock', 'mode']) $(id).disabled = !on;
    $('board').setAttribute('aria-disabled', String(!on));
  }

  /** Asks one other member for the board (it answers with a direct message); the first answer is used. */
  function requestBoard() {
    synced = false;
    const other = client.members.find((id) => id !== me);
    if (other !== undefined) client.sendDirect(other, { kind: 'state_request' });
  }

  function onData(from, data, direct, replayed) {
    if (!data || typeof data !== 'object') return;
    if (data.kind === 'chat' && typeof data.text === 'string') say(from ?? 'server', data.text, replayed);
    if (data.kind === 'paint') paint(data.cell, data.color);
    if (data.kind === 'rtt' && from && Number.isFinite(data.ms)) { rtts.set(from, Math.round(data.ms)); renderMembers(client.members); }
    if (direct && from && data.kind === 'state_request') client.sendDirect(from, { kind: 'state', cells });
    if (direct && from && data.kind === 'state' && !synced && Array.isArray(data.cells) && data.cells.length === CELLS) {
      synced = true;
      data.cells.forEach((color, i) => { if (color !== null) paint(i, color); });
      log(['board'], ` copied from ${from}`);
    }
  }
  function paint(i, color) {
    if (!Number.isInteger(i) || i < 0 || i >= CELLS || typeof color !== 'string' || !COLOR.test(color)) return;
    cells[i] = color;
    board.children[i].style.background = color;
  }
  function isReady(id) {
    const props = client.memberProperties[id];
    return !!props && props.ready === true;
  }
  function modeOf(properties) {
    const mode = properties && typeof properties.mode === 'string' ? properties.mode : 'classic';
    return ['classic', 'duel', 'party'].includes(mode) ? mode : 'classic';
  }
  function renderRoom() {
    const mine = client.owner === me;
    $('owner').textContent = client.owner === null ? '' : mine ? 'You own this lobby.' : `${client.owner} owns this lobby.`;
    $('owner').dataset.owner = client.owner ?? '';
    const settings = client.lobby;
    $('lock-state').textContent = settings && settings.locked ? 'Locked: nobody new can join.' : '';
    $('lock-state').dataset.locked = String(!!settings && settings.locked);
    $('mode-state').textContent = settings ? `Mode: ${modeOf(settings.properties)}.` : '';
    $('lock').textContent = settings && settings.locked ? 'Unlock the lobby' : 'Lock the lobby';
    if (settings) $('mode').value = modeOf(settings.properties);
    for (const node of document.querySelectorAll('.owner-only')) node.classList.toggle('hidden', !mine);
    renderMembers(client.members);
  }
  /** What the member line says after the name: its round trip, or how long an away player's seat is held. */
  function status(id) {
    if (client.away.includes(id)) {
      const until = heldUntil.get(id);
      return until === undefined ? 'away' : `away · ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s`;
    }
    return rtts.has(id) ? `${rtts.get(id)} ms` : '';
  }
  function renderMembers(members) {
    $('ready').textContent = isReady(me) ? 'Not ready' : 'I\'m ready';
    $('ready').setAttribute('aria-pressed', String(isReady(me)));
    $('members').replaceChildren(...members.map((id) => {
      const li = el('li', undefined, client.away.includes(id) ? 'away' : undefined);
      li.dataset.user = id;
      if (client.away.includes(id)) li.title = 'connection dropped: seat held';
      const dot = el('span', undefined, 'dot');
      dot.style.background = colorOf(id);
      li.dataset.ready = String(isReady(id));
      li.dataset.owner = String(client.owner === id);
      li.append(dot, el('span', id === me ? `${id} (you)` : id, 'name'));
      if (client.owner === id) li.append(el('span', 'owner', 'badge'));
      if (isReady(id)) li.append(el('span', 'ready', 'badge ready'));
      li.append(el('span', status(id), 'rtt'));
      if (client.owner === me && id !== me) {
        const kick = el('button', 'kick', 'ghost small');
        kick.type = 'button';
        kick.dataset.kick = id;
        kick.addEventListener('click', () => client.kick(id));
        li.append(kick);
      }
      return li;
    }));
  }
}

/** A chat line; one sent while this tab was away (replayed after a recovered reconnect) is marked as such. */
function say(from, text, replayed = false) {
  const p = el('p', undefined, replayed ? 'replayed' : undefined);
  if (replayed) p.title = 'sent while you were away';
  const name = el('b', from);
  name.style.color = colorOf(from);
  p.append(name, ' ', text);
  $('chat').append(p);
  $('chat').scrollTop = $('chat').scrollHeight;
}

/** The token function for a player: the token given by hand, else a dev token minted for this name (for any lobby). */
function tokenFunction(user, token) {
  return token ? () => token : () => devToken(user);
}

/** The name in the form, or null (the form then says that it is needed). */
function playerName() {
  const field = $('join-user');
  const user = field.value.trim();
  if (!user) {
    field.reportValidity();
    return null;
  }
  return user;
}

/** What went wrong with a directory or quick-join call, in words. */
function problem(error) {
  if (error instanceof NoDevTokens) return 'this server has no dev tokens: paste a token from your backend in the form';
  if (error instanceof LobbyhubHttpError) {
    if (error.rateLimited) return 'too many requests: try again in a second';
    if (error.code === 'no_lobby') return 'this token may only join some lobbies, and none of them has a free seat';
    if (error.status === 401) return 'the token was refused';
    return `${error.status} ${error.code}: ${error.message}`;
  }
  // fetch() fails with a TypeError when nothing answers.
  if (error instanceof TypeError) return 'the server cannot be reached';
  return error instanceof Error ? error.message : String(error);
}

// Play: quick join with the chosen mode (a seat in a public lobby of that mode with room, or a new lobby),
// then connect to the lobby it placed us in before the reserved seat runs out.
$('play').addEventListener('click', async () => {
  const user = playerName();
  if (!user) return;
  const token = $('join-token').value.trim();
  const mode = $('play-mode').value;
  const client = new LobbyClient({ token: tokenFunction(user, token) });
  $('play').disabled = true;
  notice('');
  try {
    const placed = await client.quickJoin({ mode });
    start(user, placed.lobby, token, client);
    log(['quick join'], placed.created ? `: no ${mode} lobby had room, made ${placed.lobby}` : `: a seat in ${placed.lobby}`);
  } catch (error) {
    notice(`Play: ${problem(error)}`);
  } finally {
    $('play').disabled = false;
  }
});

// The lobby browser: public lobbies, by mode and with or without room, loaded when asked for.
$('browse-refresh').addEventListener('click', async () => {
  const user = playerName();
  if (!user) return;
  const mode = $('browse-mode').value;
  const finder = new LobbyClient({ token: tokenFunction(user, $('join-token').value.trim()) });
  $('browse-refresh').disabled = true;
  $('browse-status').textContent = 'Loading…';
  try {
    const page = await finder.listLobbies({ properties: mode ? { mode } : {}, hasSpace: $('browse-space').checked, limit: 20 });
    renderLobbies(page.lobbies);
    const n = page.lobbies.length;
    $('browse-status').textContent = n === 0 ? 'No public lobby matches.'
      : `${n} public ${n === 1 ? 'lobby' : 'lobbies'}${page.nextCursor ? ' (the first 20)' : ''}`;
  } catch (error) {
    $('lobbies').replaceChildren();
    $('browse-status').textContent = `Could not list the lobbies: ${problem(error)}`;
  } finally {
    $('browse-refresh').disabled = false;
  }
});

/** The directory's lobbies, each with a Join button; every value is shown as text. */
function renderLobbies(lobbies) {
  $('lobbies').replaceChildren(...lobbies.map((lobby) => {
    const li = el('li');
    li.dataset.lobby = lobby.code;
    const mode = typeof lobby.properties.mode === 'string' ? lobby.properties.mode : 'no mode';
    li.append(el('span', lobby.code, 'name'), el('span', mode, 'badge'));
    if (lobby.locked) li.append(el('span', 'locked', 'badge'));
    li.append(el('span', `${lobby.memberCount}/${lobby.max}`, 'count'));
    const join = el('button', 'Join', 'small');
    join.type = 'button';
    join.dataset.join = lobby.code;
    join.disabled = lobby.locked || lobby.memberCount >= lobby.max;
    join.addEventListener('click', () => {
      const user = playerName();
      if (user) start(user, lobby.code, $('join-token').value.trim());
    });
    li.append(join);
    return li;
  }));
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  start($('join-user').value.trim(), $('join-lobby').value.trim(), $('join-token').value.trim());
});
if (params.get('user') && params.get('lobby')) {
  start(params.get('user'), params.get('lobby'), params.get('token') || rememberedToken(params.get('user'), params.get('lobby')));
} else if (params.has('token')) {
  // Not enough to join: the token goes into the form, and out of the address.
  $('join-token').value = params.get('token');
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', rest ? `/?${rest}` : '/');
}
