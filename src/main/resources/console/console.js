// lobbyhub operator console. Every value from the network is written with textContent or as an attribute
// value of an element made here: nothing is ever parsed as HTML (the page's Trusted Types policy forbids it).

const KEY = 'lobbyhub.console.key';
const REFRESH_MS = 2000;
const HISTORY = 90; // points per chart: three minutes at one poll every 2 s
const SVG = 'http://www.w3.org/2000/svg';

const $ = id => document.getElementById(id);

const view = {
  key: sessionStorage.getItem(KEY),
  timer: null,
  generation: 0,
  clustered: null,
  cursors: [null], // the cursor of every page up to the one shown; the last is the current page's
  nextCursor: null,
  lobby: null,
  user: null,
  history: { connections: [], lobbies: [], capacity: [] },
};
window.consoleView = view;

/** An element with its class and children; strings become text nodes. */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  return node;
}

/** One path segment: percent-encoded, and "." and ".." as %2E and %2E%2E (as literal segments they mean a path). */
export function segment(value) {
  if (value === '.') return '%2E';
  if (value === '..') return '%2E%2E';
  return encodeURIComponent(value);
}

class Refused extends Error {}

async function api(method, path, body) {
  const headers = { 'Authorization': 'Bearer ' + view.key, 'Accept': 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const generation = view.generation;
  const response = await fetch(path, init);
  if (response.status === 401) {
    if (generation === view.generation) refused();
    throw new Refused('401');
  }
  let json = null;
  if (response.status !== 204) {
    try { json = await response.json(); } catch (e) { json = null; }
  }
  return { status: response.status, body: json };
}

function problem(answer) {
  const body = answer.body || {};
  return 'HTTP ' + answer.status + (body.error ? ' ' + body.error : '') + (body.message ? ': ' + body.message : '');
}

function say(node, text, kind) {
  node.textContent = text;
  node.classList.toggle('bad', kind === 'bad');
  node.classList.toggle('good', kind === 'good');
}

function ago(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? ms + ' ms ago' : (ms / 1000).toFixed(1) + ' s ago';
}

function time(epochMs) {
  if (epochMs === null || epochMs === undefined) return '—';
  return new Date(epochMs).toLocaleString();
}

/** Message data as typed: JSON when it parses as JSON, else the text as a string. */
function data(text) {
  try { return JSON.parse(text); } catch (e) { return text; }
}

// ---- signing in and out -------------------------------------------------------------------------------

function showLogin(message) {
  clearTimeout(view.timer);
  view.timer = null;
  $('console').classList.add('hidden');
  $('sign-out').classList.add('hidden');
  $('login').classList.remove('hidden');
  $('login-error').textContent = message || '';
  $('login-error').classList.toggle('hidden', !message);
  $('node').textContent = '';
  $('key').value = '';
  $('key').focus();
}

function refused() {
  view.generation++;
  view.key = null;
  sessionStorage.removeItem(KEY);
  setState('refused', 'key refused');
  showLogin('The server refused this key (401 unauthorized). Enter the admin key again.');
}

function setState(kind, text) {
  const pill = $('state');
  pill.className = 'pill ' + kind;
  pill.textContent = text;
}

function start() {
  view.generation++;
  $('login').classList.add('hidden');
  $('console').classList.remove('hidden');
  $('sign-out').classList.remove('hidden');
  setState('', 'loading');
  tick();
}

$('login-form').addEventListener('submit', event => {
  event.preventDefault();
  const key = $('key').value.trim();
  if (!key) return;
  view.key = key;
  sessionStorage.setItem(KEY, key);
  start();
});

$('sign-out').addEventListener('click', () => {
  view.generation++;
  view.key = null;
  sessionStorage.removeItem(KEY);
  setState('', 'signed out');
  showLogin('');
});

// ---- polling ------------------------------------------------------------------------------------------

async function tick() {
  const generation = view.generation;
  clearTimeout(view.timer);
  try {
    await Promise.all([refreshCluster(), refreshLobbies(), refreshLobby(), refreshUser()]);
    if (generation === view.generation) setState('live', 'live');
  } catch (e) {
    if (e instanceof Refused) return;
    if (generation === view.generation) setState('stale', 'no answer');
  }
  if (generation === view.generation && view.key) {
    view.timer = setTimeout(tick, REFRESH_MS);
  }
}

// ---- cluster ------------------------------------------------------------------------------------------

async function readiness() {
  try {
    const response = await fetch('/q/health/ready', { cache: 'no-store', credentials: 'omit', headers: { 'Accept': 'application/json' } });
    const body = await response.json();
    const check = (body.checks || []).find(c => c && c.name === 'connections');
    return { status: body.status, data: (check && check.data) || {} };
  } catch (e) {
    return null;
  }
}

/** This node's readiness, and in cluster mode its view of the backplane (Redis), from /q/health/ready. */
function showHealth(ready) {
  const health = $('health');
  if (!ready) {
    health.textContent = 'readiness: no answer';
    health.dataset.backplane = 'unknown';
    return;
  }
  const parts = ['this node ' + (ready.status === 'UP' ? 'ready' : 'not ready') + (ready.data.draining ? ' (draining)' : '')];
  const up = ready.data.backplane_up;
  if (typeof up === 'boolean' && (view.clustered || up === false)) {
    parts.push('backplane ' + (up ? 'up' : 'down'));
    health.dataset.backplane = up ? 'up' : 'down';
  } else {
    health.dataset.backplane = 'none';
  }
  health.textContent = parts.join(' · ');
  health.classList.toggle('error', ready.status !== 'UP');
}

async function refreshCluster() {
  const [answer, ready] = await Promise.all([api('GET', '/api/v1/stats').catch(e => e), readiness()]);
  showHealth(ready);
  if (answer instanceof Error) throw answer;
  if (answer.status !== 200) {
    $('cluster-error').textContent = problem(answer);
    $('cluster-error').classList.remove('hidden');
    throw new Error('stats');
  }
  $('cluster-error').classList.add('hidden');
  const stats = answer.body;
  const clustered = Array.isArray(stats.nodes);
  view.clustered = clustered;
  $('node').textContent = 'answered by ' + stats.node_id;
  const parts = [
    stats.total_connections + ' of ' + stats.max_connections + ' connections (' + stats.capacity_percent + ' %)',
    stats.active_lobbies + (stats.active_lobbies === 1 ? ' lobby' : ' lobbies'),
    'at most ' + stats.max_per_lobby + ' per lobby',
    clustered ? stats.nodes.length + ' nodes' : 'single node',
  ];
  $('cluster-summary').textContent = parts.join(' · ');
  $('cluster-updated').textContent = 'updated ' + new Date().toLocaleTimeString();

  const nodes = clustered ? stats.nodes : [{ node_id: stats.node_id, connections: stats.total_connections,
    max_connections: stats.max_connections, capacity_percent: stats.capacity_percent, last_seen_ms: null }];
  $('nodes').replaceChildren(...nodes.map(node => {
    const fill = el('span');
    fill.style.width = Math.max(0, Math.min(100, Number(node.capacity_percent) || 0)) + '%';
    const bar = el('div', 'bar', fill);
    if (node.capacity_percent >= 100) bar.classList.add('full');
    else if (node.capacity_percent >= 80) bar.classList.add('high');
    const item = el('li', null,
      el('div', 'node-name', node.node_id),
      el('div', 'node-figures', node.connections + ' / ' + node.max_connections + ' connections · ' + node.capacity_percent + ' %'),
      bar,
      el('div', 'node-seen', node.last_seen_ms === null ? 'this node' : 'last seen ' + ago(node.last_seen_ms)));
    item.dataset.node = node.node_id;
    return item;
  }));

  record('connections', stats.total_connections);
  record('lobbies', stats.active_lobbies);
  record('capacity', stats.capacity_percent);
  drawCharts();
}

function record(name, value) {
  const series = view.history[name];
  series.push(Number(value) || 0);
  if (series.length > HISTORY) series.shift();
}

const CHARTS = [
  { name: 'connections', title: 'Connections' },
  { name: 'lobbies', title: 'Active lobbies' },
  { name: 'capacity', title: 'Capacity %', max: 100 },
];

function drawCharts() {
  $('charts').replaceChildren(...CHARTS.map(chart => {
    const series = view.history[chart.name];
    const top = chart.max || Math.max(1, ...series) * 1.25;
    const width = 300;
    const height = 60;
    // The points so far fill the width; once the history is full the oldest leave on the left.
    const step = width / Math.max(series.length - 1, 1);
    const y = v => (height - 2 - (v / top) * (height - 4)).toFixed(1);
    const points = series.map((v, i) => (i * step).toFixed(1) + ',' + y(v));
    if (points.length === 1) points.push(width + ',' + y(series[0]));
    const picture = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, preserveAspectRatio: 'none', role: 'img' });
    picture.append(svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1 }));
    picture.append(svg('polyline', { points: points.join(' ') }));
    const label = chart.title + ', last ' + series[series.length - 1] + ', highest ' + Math.max(...series);
    picture.setAttribute('aria-label', label);
    const figure = el('figure', null,
      el('figcaption', null, el('span', null, chart.title), el('b', null, String(series[series.length - 1]))),
      picture);
    figure.dataset.chart = chart.name;
    return figure;
  }));
}

// ---- lobbies ------------------------------------------------------------------------------------------

function pageSize() {
  const n = Math.floor(Number($('page-size').value));
  return n >= 1 && n <= 1000 ? n : 20;
}

async function refreshLobbies() {
  const cursor = view.cursors[view.cursors.length - 1];
  let path = '/api/v1/lobbies?limit=' + pageSize();
  if (cursor !== null) path += '&cursor=' + encodeURIComponent(cursor);
  const answer = await api('GET', path);
  if (answer.status !== 200) {
    $('lobbies-status').textContent = problem(answer);
    return;
  }
  const page = answer.body;
  view.nextCursor = page.next_cursor;
  $('lobbies-next').disabled = page.next_cursor === null;
  $('lobbies-prev').disabled = view.cursors.length < 2;
  const number = view.cursors.length;
  $('lobbies-status').textContent = page.lobbies.length === 0
    ? (number === 1 ? 'No lobby has anyone in it.' : 'Page ' + number + ' is empty now.')
    : 'Page ' + number + (page.next_cursor === null ? ' (last)' : '');
  $('lobbies').replaceChildren(...page.lobbies.map(lobby => {
    const open = el('button', 'link', lobby.code);
    open.type = 'button';
    open.addEventListener('click', () => showLobby(lobby.code));
    const item = el('li', null, open, el('span', 'count', lobby.member_count + (lobby.member_count === 1 ? ' member' : ' members')));
    item.dataset.code = lobby.code;
    return item;
  }));
}

$('lobbies-next').addEventListener('click', () => {
  if (view.nextCursor === null) return;
  view.cursors.push(view.nextCursor);
  refreshLobbies().catch(() => {});
});
$('lobbies-prev').addEventListener('click', () => {
  if (view.cursors.length > 1) view.cursors.pop();
  refreshLobbies().catch(() => {});
});
$('lobbies-first').addEventListener('click', () => {
  view.cursors = [null];
  refreshLobbies().catch(() => {});
});
$('page-size').addEventListener('change', () => {
  view.cursors = [null];
  refreshLobbies().catch(() => {});
});

// ---- one lobby ----------------------------------------------------------------------------------------

function showLobby(code) {
  view.lobby = code;
  $('lobby-code').value = code;
  say($('lobby-result'), '');
  refreshLobby().catch(() => {});
}

$('lobby-form').addEventListener('submit', event => {
  event.preventDefault();
  const code = $('lobby-code').value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(code)) {
    $('lobby-status').textContent = 'A lobby code is 1 to 64 of A-Z a-z 0-9 _ -.';
    return;
  }
  showLobby(code);
});

function fact(list, name, value) {
  list.append(el('dt', null, name), el('dd', null, value));
}

async function refreshLobby() {
  const code = view.lobby;
  if (code === null) return;
  const answer = await api('GET', '/api/v1/lobbies/' + segment(code));
  if (code !== view.lobby) return;
  if (answer.status === 404) {
    $('lobby').classList.add('hidden');
    $('lobby-status').textContent = 'No lobby ' + code + ': nobody is in it.';
    return;
  }
  if (answer.status !== 200) {
    $('lobby-status').textContent = problem(answer);
    return;
  }
  const lobby = answer.body;
  $('lobby-status').textContent = 'Lobby ' + lobby.code;
  const facts = el('dl', 'facts');
  facts.id = 'lobby-facts';
  fact(facts, 'owner', lobby.owner === null ? '(none)' : lobby.owner);
  fact(facts, 'members', lobby.members.length + ' of ' + lobby.max);
  fact(facts, 'reserved', String(lobby.reserved));
  fact(facts, 'locked', lobby.locked ? 'yes' : 'no');
  fact(facts, 'visibility', lobby.visibility);
  fact(facts, 'version', String(lobby.version));
  $('lobby-facts').replaceWith(facts);
  $('lobby-properties').textContent = JSON.stringify(lobby.properties, null, 2);
  $('lobby-members').replaceChildren(...lobby.members.map(member => {
    const open = el('button', 'link who-name', member.user_id);
    open.type = 'button';
    open.addEventListener('click', () => showUser(member.user_id));
    const meta = [
      member.state === 'away' ? 'away until ' + time(member.away_until) : 'connected',
      'RTT ' + (member.rtt_ms === null ? '—' : member.rtt_ms + ' ms'),
      'node ' + (member.node_id === null ? '—' : member.node_id),
      'since ' + time(member.connected_at),
    ];
    const item = el('li', member.state === 'away' ? 'away' : null, open,
      member.name === null ? null : el('span', 'member-name', member.name),
      member.user_id === lobby.owner ? el('span', 'meta', 'owner') : null,
      el('span', 'meta', meta.join(' · ')));
    if (member.properties && Object.keys(member.properties).length > 0) {
      item.append(el('pre', 'member-properties', JSON.stringify(member.properties, null, 2)));
    }
    item.dataset.user = member.user_id;
    return item;
  }));
  $('lobby').classList.remove('hidden');
}

$('lobby-message-form').addEventListener('submit', async event => {
  event.preventDefault();
  const code = view.lobby;
  const result = $('lobby-result');
  try {
    const answer = await api('POST', '/api/v1/lobbies/' + segment(code) + '/messages', { data: data($('lobby-message').value) });
    if (answer.status === 200) {
      say(result, 'Delivered to ' + answer.body.delivered + (answer.body.delivered === 1 ? ' member.' : ' members.'), 'good');
      $('lobby-message').value = '';
    } else {
      say(result, problem(answer), 'bad');
    }
  } catch (e) {
    if (!(e instanceof Refused)) say(result, 'Not sent: ' + e.message, 'bad');
  }
});

// ---- one user -----------------------------------------------------------------------------------------

function showUser(id) {
  view.user = id;
  $('user-id').value = id;
  say($('user-result'), '');
  $('kick-confirm').classList.add('hidden');
  refreshUser().catch(() => {});
}

$('user-form').addEventListener('submit', event => {
  event.preventDefault();
  const id = $('user-id').value;
  if (id === '') return;
  showUser(id);
});

/**
 * The users "." and ".." cannot be addressed from a browser: the URL standard reads %2E and %2E%2E in a path as
 * the segments "." and "..", and fetch sends the normalised path. The admin API takes them from other clients.
 */
const DOT_IDS = new Set(['.', '..']);

function userPath(id, rest) {
  if (DOT_IDS.has(id)) return null;
  try {
    return '/api/v1/users/' + segment(id) + (rest || '');
  } catch (e) {
    return null; // a lone surrogate: no user can have this id
  }
}

async function refreshUser() {
  const id = view.user;
  if (id === null) return;
  const path = userPath(id);
  if (path === null) {
    $('user').classList.add('hidden');
    $('user-status').textContent = DOT_IDS.has(id)
      ? 'A browser cannot address the user "' + id + '": it reads %2E in a path as a dot segment. '
        + 'Use the admin API from another client (GET /api/v1/users/' + segment(id) + ').'
      : 'That is not a valid user id.';
    return;
  }
  const answer = await api('GET', path);
  if (id !== view.user) return;
  if (answer.status !== 200) {
    $('user').classList.add('hidden');
    $('user-status').textContent = problem(answer);
    return;
  }
  const user = answer.body;
  $('user-status').textContent = 'User ' + user.user_id;
  const facts = el('dl', 'facts');
  facts.id = 'user-facts';
  fact(facts, 'connected', user.connected ? 'yes' : 'no');
  if (user.connected) {
    const lobby = el('button', 'link', user.lobby);
    lobby.type = 'button';
    lobby.addEventListener('click', () => showLobby(user.lobby));
    fact(facts, 'lobby', lobby);
    fact(facts, 'since', time(user.connected_at));
    fact(facts, 'RTT', user.rtt_ms === null || user.rtt_ms === undefined ? '—' : user.rtt_ms + ' ms');
    fact(facts, 'node', user.node_id);
  }
  facts.dataset.connected = String(user.connected);
  $('user-facts').replaceWith(facts);
  $('user').classList.remove('hidden');
}

async function userAction(run) {
  const result = $('user-result');
  try {
    await run(result);
  } catch (e) {
    if (!(e instanceof Refused)) say(result, 'Failed: ' + e.message, 'bad');
  }
  refreshUser().catch(() => {});
}

$('user-message-form').addEventListener('submit', event => {
  event.preventDefault();
  const id = view.user;
  userAction(async result => {
    const answer = await api('POST', userPath(id, '/messages'), { data: data($('user-message').value) });
    if (answer.status === 200) {
      say(result, 'Delivered to ' + id + '.', 'good');
      $('user-message').value = '';
    } else {
      say(result, answer.status === 404 ? id + ' is not connected.' : problem(answer), 'bad');
    }
  });
});

$('ping').addEventListener('click', () => {
  const id = view.user;
  say($('user-result'), 'Pinging ' + id + '…');
  userAction(async result => {
    const answer = await api('POST', userPath(id, '/ping'));
    if (answer.status === 200) {
      say(result, answer.body.alive ? id + ' is alive: answered in ' + answer.body.latency_ms + ' ms.'
        : id + ' did not answer in time.', answer.body.alive ? 'good' : 'bad');
    } else {
      say(result, answer.status === 404 ? id + ' is not connected.' : problem(answer), 'bad');
    }
  });
});

$('kick').addEventListener('click', () => {
  view.kicking = view.user;
  $('kick-question').textContent = 'Kick ' + view.user + '? Their connection is closed with 4006 kicked.';
  $('kick-confirm').classList.remove('hidden');
  $('kick-no').focus();
});

$('kick-no').addEventListener('click', () => {
  view.kicking = null;
  $('kick-confirm').classList.add('hidden');
  say($('user-result'), 'Not kicked.');
});

$('kick-yes').addEventListener('click', () => {
  const id = view.kicking;
  view.kicking = null;
  $('kick-confirm').classList.add('hidden');
  if (id === null || id === undefined) return;
  userAction(async result => {
    const answer = await api('DELETE', userPath(id, '/connection'));
    if (answer.status === 204) {
      say(result, 'Kicked ' + id + '.', 'good');
    } else {
      say(result, answer.status === 404 ? id + ' is not connected.' : problem(answer), 'bad');
    }
  });
});

// ---- start --------------------------------------------------------------------------------------------

if (view.key) {
  start();
} else {
  showLogin('');
}
