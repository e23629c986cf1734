// lobbyhub browser client: one lobby connection that answers health pings, keeps the member
// list, queues sends while reconnecting, reconnects the way each close code asks for, notices a
// connection that went silent, and resumes the lobby log where it left off (SPEC §11). It also finds
// a lobby: the lobby directory and quick join over HTTP (SPEC §13).
// Types: /lobbyhub-client.d.ts. No dependencies; an ES module.

/** @typedef {'idle'|'connecting'|'open'|'reconnecting'|'closed'} ClientState */
/**
 * @typedef {object} LobbySettings the lobby's settings (SPEC §12)
 * @property {boolean} locked
 * @property {'public' | 'private'} visibility
 * @property {number} max_members
 * @property {Record<string, unknown>} properties
 * @property {number} version
 */
/**
 * @typedef {object} LobbyUpdate what the owner changes (SPEC §12); every field optional
 * @property {boolean} [locked]
 * @property {'public' | 'private'} [visibility]
 * @property {number} [max_members]
 * @property {Record<string, unknown>} [properties]
 * @property {number} [expected_version]
 */

/**
 * What a client does after the server closed the connection. `hintMs`: the server said when to come back
 * (a reason such as `server_busy:2750`), and the client waits exactly that long.
 * @typedef {{ retry: false }
 *   | { retry: true, wait: 'backoff' | 'hint' | 'pause' | 'new_token', hintMs?: number }} CloseDecision
 */

/**
 * What to do after each close the server sends (§2 of the lobbyhub contract), by reason word: the close
 * code, and how to wait before reconnecting (`null`: do not reconnect). The server's `CloseCode` enum
 * holds the same table; a test compares the two.
 * @type {Readonly<Record<string, {code: number, wait: null | 'backoff' | 'hint' | 'pause' | 'new_token'}>>}
 */
export const CLOSE_ADVICE = Object.freeze({
  normal: { code: 1000, wait: null },
  protocol_error: { code: 1002, wait: null },
  invalid_payload: { code: 1007, wait: null },
  message_too_big: { code: 1009, wait: null },
  internal_error: { code: 1011, wait: 'backoff' },
  server_shutdown: { code: 1012, wait: 'hint' },
  backplane_unavailable: { code: 1013, wait: 'backoff' },
  server_busy: { code: 1013, wait: 'backoff' },
  invalid_lobby: { code: 4000, wait: null },
  unauthorized: { code: 4001, wait: 'new_token' },
  server_full: { code: 4002, wait: 'backoff' },
  lobby_full: { code: 4002, wait: null },
  forbidden: { code: 4003, wait: null },
  origin_not_allowed: { code: 4003, wait: null },
  lobby_locked: { code: 4003, wait: null },
  stale: { code: 4004, wait: 'backoff' },
  replaced: { code: 4005, wait: null },
  kicked: { code: 4006, wait: null },
  rate_limited: { code: 4008, wait: 'pause' },
  slow_consumer: { code: 4009, wait: 'backoff' },
  duplicate_session: { code: 4011, wait: null },
});

/**
 * Decides, from a close code and reason, whether and how to reconnect. A close that is not in
 * `CLOSE_ADVICE` (a dropped connection, 1006, or an unknown reason) is retried with backoff, unless
 * every reason the server has for that code is final. A reason may end with a retry hint
 * (`server_busy:2750`, milliseconds), which then decides the wait.
 * @param {number} code
 * @param {string} reason
 * @returns {CloseDecision}
 */
export function closeDecision(code, reason) {
  const hinted = /^([a-z_]+):(\d{1,9})$/.exec(reason);
  const word = hinted ? hinted[1] : reason;
  const known = Object.prototype.hasOwnProperty.call(CLOSE_ADVICE, word) ? CLOSE_ADVICE[word] : undefined;
  if (known && known.code === code) {
    if (known.wait === null) return { retry: false };
    return hinted ? { retry: true, wait: known.wait, hintMs: Number(hinted[2]) } : { retry: true, wait: known.wait };
  }
  const sameCode = Object.values(CLOSE_ADVICE).filter((advice) => advice.code === code);
  if (sameCode.length > 0 && sameCode.every((advice) => advice.wait === null)) return { retry: false };
  return { retry: true, wait: 'backoff' };
}

/**
 * Exponential backoff with full jitter: a uniform pick in [0, min(maxMs, baseMs * 2^attempt)].
 * @param {number} attempt 0 for the first retry
 * @param {number} baseMs
 * @param {number} maxMs
 * @param {() => number} [random] a number in [0, 1)
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, baseMs, maxMs, random = Math.random) {
  const ceiling = Math.min(maxMs, baseMs * Math.pow(2, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}

/**
 * A first-in first-out queue that keeps at most `limit` items: when full, the oldest is dropped.
 * @template T
 */
export class BoundedQueue {
  /** @param {number} limit */
  constructor(limit) {
    /** @type {T[]} */
    this.items = [];
    this.limit = limit;
    this.dropped = 0;
  }

  /**
   * @param {T} item
   * @returns {boolean} false when an older item had to be dropped to make room
   */
  push(item) {
    if (this.limit <= 0) {
      this.dropped++;
      return false;
    }
    let kept = true;
    if (this.items.length >= this.limit) {
      this.items.shift();
      this.dropped++;
      kept = false;
    }
    this.items.push(item);
    return kept;
  }

  /** @returns {T[]} everything queued, oldest first; the queue is empty afterwards */
  drain() {
    const items = this.items;
    this.items = [];
    return items;
  }

  get size() {
    return this.items.length;
  }
}

/**
 * How long a connection may stay without health pings before the client takes it for dead, from the
 * welcome's `ping_interval_ms` and `stale_after_ms`: two and a half ping intervals (two pings in a row
 * missing, and half an interval for a ping that is merely late), never more than `stale_after_ms`.
 * With the server's defaults (15 s, 45 s) that is 37.5 s: the server would evict the connection as
 * stale 7.5 s later at the earliest, so the client's reconnect normally arrives while the old
 * connection still holds the seat, the server replaces it, and the lobby log can be recovered
 * (SPEC §4, §6, §11). 0 when the welcome gives neither value (no watchdog).
 * @param {number} pingIntervalMs
 * @param {number} staleAfterMs
 * @returns {number} milliseconds
 */
export function silentAfter(pingIntervalMs, staleAfterMs) {
  const ping = Number.isFinite(pingIntervalMs) && pingIntervalMs > 0 ? pingIntervalMs : 0;
  const stale = Number.isFinite(staleAfterMs) && staleAfterMs > 0 ? staleAfterMs : 0;
  if (ping === 0) return stale;
  const limit = Math.round(2.5 * ping);
  return stale === 0 ? limit : Math.min(limit, stale);
}

/**
 * An HTTP call to lobbyhub (the lobby directory, quick join) that the server refused, with its
 * status and the `error` code of its answer (`http_<status>` when the answer had none).
 */
export class LobbyhubHttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'LobbyhubHttpError';
    this.status = status;
    this.code = code;
  }

  /** Over the per-user call limit (429 `rate_limited`): try again in a second. */
  get rateLimited() {
    return this.status === 429;
  }

  /** The same call may succeed later (429, or the server could not answer: 5xx). */
  get retryable() {
    return this.status === 429 || this.status >= 500;
  }
}

/**
 * @typedef {object} LobbyFilters what `listLobbies` asks for (SPEC §13); every field optional
 * @property {Record<string, string | number | boolean>} [properties] top-level lobby properties that must
 *   match exactly (at most 5; values at most 64 characters)
 * @property {boolean} [hasSpace] true: only lobbies with a free seat that are not locked
 * @property {number} [limit] lobbies per page, 1 to 100 (server default 50)
 * @property {string | null} [cursor] the `nextCursor` of the previous page
 * @property {AbortSignal} [signal]
 */

/**
 * The query string of `GET /lobbies` for these filters (without the `?`).
 * @param {LobbyFilters} [filters]
 * @returns {string}
 */
export function lobbiesQuery(filters = {}) {
  const query = new URLSearchParams();
  if (filters.limit !== undefined) query.set('limit', String(filters.limit));
  if (filters.cursor !== undefined && filters.cursor !== null) query.set('cursor', String(filters.cursor));
  if (filters.hasSpace !== undefined) query.set('has_space', filters.hasSpace ? 'true' : 'false');
  for (const [key, value] of Object.entries(filters.properties || {})) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`lobby filter ${key}: a string, number or boolean`);
    }
    query.set(`prop.${key}`, String(value));
  }
  return query.toString();
}

/**
 * One lobby of the directory, as `listLobbies` gives it.
 * @param {any} entry the server's `{code, member_count, max, owner, locked, properties}`
 */
function listedLobbyOf(entry) {
  return {
    code: String(entry.code),
    memberCount: Number(entry.member_count),
    max: Number(entry.max),
    owner: typeof entry.owner === 'string' ? entry.owner : null,
    locked: entry.locked === true,
    properties: entry.properties && typeof entry.properties === 'object' ? entry.properties : {},
  };
}

/** Ids of the pings the client sends on its own to probe a connection; their pongs are not emitted. */
const PROBE_ID_PREFIX = 'lobbyhub-probe-';

/**
 * A watchdog check that runs this much later than it was set for was held up: the tab was frozen or
 * throttled, or the computer slept. Frames that came meanwhile may still be waiting to be handled, so
 * the connection gets half its silence limit to show life before it is given up.
 */
const LATE_CHECK_MS = 1000;

/**
 * @typedef {object} LobbyClientOptions
 * @property {string} [lobby] lobby code: 1 to 64 of A-Z a-z 0-9 _ -; may be left out when `quickJoin()`
 *   chooses the lobby (`connect()` needs one)
 * @property {string | (() => string | Promise<string>)} token a JWT, or a function returning one;
 *   a function is called again for every connection attempt after a 4001 close; when it throws or
 *   rejects, a `token_error` event carries the cause and the client tries again after a backoff
 * @property {string} [url] WebSocket base, default `ws(s)://<this page's host>`; the lobby path is appended
 * @property {string} [httpUrl] HTTP base of the lobby directory and quick join; default `url` with ws→http and
 *   wss→https, or this page's origin
 * @property {number} [backoffBaseMs] first backoff ceiling, default 500
 * @property {number} [backoffMaxMs] largest backoff ceiling, default 30000
 * @property {number} [rateLimitPauseMs] wait after a 4008 close, default 5000
 * @property {number} [queueLimit] sends kept while not connected, default 100; beyond it the oldest is dropped
 * @property {number} [connectTimeoutMs] a connection without its `welcome` this long after it was opened
 *   is given up (reason `connect_timeout`) and tried again after a backoff; default 10000, 0: no limit
 * @property {number} [silentAfterMs] the watchdog: a connection on which no health_ping came for this long,
 *   and nothing at all for half of it, is given up (reason `silent`) and a new one is opened after a backoff;
 *   default `silentAfter(ping_interval_ms, stale_after_ms)` of each welcome; 0: no watchdog
 * @property {number} [probeTimeoutMs] after the window's `online` event, how long an open connection has
 *   to show life (it is sent a ping) before it is given up the same way; default 5000, 0: no probe
 * @property {(code: number, reason: string) => void} [onGiveUp] called once when the client stops for good
 * @property {typeof WebSocket} [WebSocketImpl] for tests and non-browser runtimes
 * @property {typeof fetch} [fetchImpl] for tests and non-browser runtimes
 */

/**
 * One WebSocket and what the client knows about it.
 * @typedef {object} Connection
 * @property {WebSocket} socket
 * @property {{epoch: string, offset: number} | null} resume the log position its URL asked to resume from
 * @property {boolean} welcomed
 * @property {number} openedAt
 * @property {number} lastFrameAt when anything last arrived
 * @property {number} lastPingAt when the last health_ping (or the welcome) arrived
 * @property {number} silentAfterMs the watchdog's limit, 0 for none (and until the welcome)
 * @property {number} staleAfterMs the server's stale-after, from the welcome
 * @property {number} pingIntervalMs the server's ping interval, from the welcome
 * @property {number | null} probeSentAt when a probe ping went out that nothing has answered yet
 * @property {ReturnType<typeof setTimeout> | null} timer the next check
 * @property {number} checkAt when the next check was meant to run
 */

/**
 * One player's connection to one lobby.
 *
 * Events (listen with `on(type, handler)`): `welcome`, `member_joined`, `member_left`, `member_away`,
 * `member_back`, `owner_changed`, `lobby_updated`, `member_updated`,
 * `lobby_message`, `direct_message`, `ack`, `gap`, `log_reset`, `error`, `pong`, `server_shutdown`
 * (each with the server's frame; any other frame type is emitted under its own type), `members` (the
 * current member list; also after a member's properties changed), `owner` (the owner's user id, after the
 * welcome and each change), `lobby` (the lobby's settings: {locked, visibility, max_members, properties,
 * version}, after the welcome and each update), `recovered` ({recovered, since, epoch, offset}: after the welcome of a
 * reconnect that asked to resume the lobby log), `state` ({state, code?, reason?, retryInMs?}),
 * `token_error` ({error, retryInMs}: the token function threw or rejected; the client backs off and asks again).
 *
 * The lobby log (SPEC §11): the client keeps the log's `epoch` and the highest `offset` it has seen, and
 * on its own reconnects to the lobby asks to resume from there (`since` and `epoch` in the URL). A log
 * frame whose offset it has seen already is dropped, so none is emitted twice. After a welcome with
 * `recovered: true` the missed frames follow; they are emitted with `replayed: true`, and replayed
 * presence does not change `members` (the welcome's list already includes it).
 *
 * Lobby state (SPEC §12): `owner`, `lobby` and `memberProperties` follow the welcome and the state events;
 * replayed state events are emitted but not applied again (the welcome is as of its offset).
 *
 * Finding a lobby (SPEC §13): `listLobbies()` pages through the public lobbies, and `quickJoin()` reserves
 * a seat (in a matching lobby, or a new one) and makes it the lobby `connect()` joins. Both are HTTP calls
 * with the same token; a refusal rejects with a `LobbyhubHttpError`.
 */
/**
 * The settings part of a welcome or `lobby_updated`.
 * @param {any} frame
 * @returns {LobbySettings}
 */
function settingsOf(frame) {
  return {
    locked: frame.locked === true,
    visibility: frame.visibility === 'public' ? 'public' : 'private',
    max_members: frame.max_members,
    properties: frame.properties && typeof frame.properties === 'object' ? frame.properties : {},
    version: frame.version,
  };
}

export class LobbyClient {
  /** @param {LobbyClientOptions} options */
  constructor(options) {
    if (!options || !options.token) throw new Error('LobbyClient needs options.token');
    this.options = {
      backoffBaseMs: 500,
      backoffMaxMs: 30000,
      rateLimitPauseMs: 5000,
      queueLimit: 100,
      connectTimeoutMs: 10000,
      probeTimeoutMs: 5000,
      ...options,
    };
    /** @type {ClientState} */
    this.state = 'idle';
    /** @type {string[]} user ids currently in the lobby, this user included, away ones too */
    this.members = [];
    /** @type {string[]} members whose seat is held while their connection is gone (SPEC §10) */
    this.away = [];
    /** @type {string | null} */
    this.userId = null;
    /** @type {string | null} the member who owns the lobby (SPEC §12) */
    this.owner = null;
    /** @type {LobbySettings | null} the lobby's settings and properties, as of the last welcome or update */
    this.lobby = null;
    /** @type {Record<string, Record<string, unknown>>} each member's own properties; members without any left out */
    this.memberProperties = {};
    /** @type {number | null} last round-trip time measured with ping(), in ms */
    this.rttMs = null;
    /** @type {{code: number, reason: string} | null} how the last connection ended */
    this.lastClose = null;
    /** @type {BoundedQueue<string>} */
    this.queue = new BoundedQueue(this.options.queueLimit);
    /** @type {Map<string, Set<(payload: any) => void>>} */
    this.listeners = new Map();
    /** @type {WebSocket | null} */
    this.socket = null;
    /** @type {Connection | null} the current connection (its socket is `socket`) */
    this.conn = null;
    /**
     * @type {Set<WebSocket>} connections given up without closing them (see `abandon`); closed once a
     * later connection is welcomed, or by `close()`
     */
    this.abandoned = new Set();
    /** @type {number} until when the server may still seat an abandoned connection of this user */
    this.abandonedSeatUntil = 0;
    /** @type {{lobby: string, epoch: string, offset: number} | null} where this client is in its lobby's log */
    this.position = null;
    /** @type {number | null} after a recovered welcome, its offset: log frames up to it are replays */
    this.replayUntil = null;
    this.attempt = 0;
    /** @type {number | null} the server's reconnect_after_ms from its last server_shutdown */
    this.reconnectHintMs = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    /** @type {'network' | 'server' | null} what the pending retry waits out: a lost network, or the server's word */
    this.retryCause = null;
    this.pingSeq = 0;
    this.probeSeq = 0;
    /** @type {Map<string, {sentAt: number, resolve: (rtt: number) => void}>} */
    this.pendingPings = new Map();
    /** @type {(() => void) | null} */
    this.onlineListener = null;
    this.stopped = false;
    /** When false the client ignores health pings, like a hung tab; for demonstrations and tests. */
    this.answerHealthPings = true;
  }

  /** The epoch of the lobby log this client follows; null with the log off or before the first welcome. */
  get epoch() {
    return this.position ? this.position.epoch : null;
  }

  /** The highest log offset this client has seen (or the welcome's); null like `epoch`. */
  get offset() {
    return this.position ? this.position.offset : null;
  }

  /** The code of the lobby `connect()` joins: `options.lobby`, or where `quickJoin()` placed the player. */
  get lobbyCode() {
    return this.options.lobby || null;
  }

  /**
   * @param {string} type
   * @param {(payload: any) => void} handler
   * @returns {() => void} call it to stop listening
   */
  on(type, handler) {
    let handlers = this.listeners.get(type);
    if (!handlers) {
      handlers = new Set();
      this.listeners.set(type, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
    };
  }

  /**
   * Opens the connection (again). After `close()`, or after the client stopped for good, this is a
   * new start: nothing of the lobby log is resumed.
   */
  connect() {
    this.currentLobby(); // throws when there is no lobby to connect to yet
    if (this.state === 'idle' || this.state === 'closed') this.forgetPosition();
    this.stopped = false;
    this.clearRetry();
    this.listenOnline(true);
    this.open();
    return this;
  }

  /** Closes with 1000 and stops reconnecting. */
  close() {
    this.stopped = true;
    this.clearRetry();
    this.listenOnline(false);
    if (this.conn) this.stopChecks(this.conn);
    if (this.socket && this.socket.readyState <= 1) this.socket.close(1000, 'normal');
    this.closeAbandoned(true);
    this.forgetPosition();
    this.setState('closed', { code: 1000, reason: 'normal' });
  }

  /**
   * Sends `data` to every other member. Queued while not connected.
   * @param {unknown} data
   * @param {string} [id] echoed as `ref` if the server answers with an error, and in `ack` (lobby log on)
   */
  sendLobby(data, id) {
    this.send({ type: 'lobby_message', data, ...(id === undefined ? {} : { id }) });
  }

  /**
   * Sends `data` to one member of the lobby. Queued while not connected.
   * @param {string} to user id
   * @param {unknown} data
   * @param {string} [id]
   */
  sendDirect(to, data, id) {
    this.send({ type: 'direct_message', to, data, ...(id === undefined ? {} : { id }) });
  }

  /**
   * The owner changes the lobby's settings (SPEC §12): any of `locked`, `visibility` ('public' or 'private'),
   * `max_members`, `properties` (replaces the whole object) and `expected_version` (the update is made only
   * at that version, else an `error` `version_conflict`). Every member hears `lobby_updated`.
   * @param {LobbyUpdate} changes
   * @param {string} [id]
   */
  updateLobby(changes, id) {
    this.send({ ...changes, type: 'lobby_update', ...(id === undefined ? {} : { id }) });
  }

  /**
   * Sets this member's own properties (replaces them all; `{}` clears them). Every member hears `member_updated`.
   * @param {Record<string, unknown>} properties
   * @param {string} [id]
   */
  updateMe(properties, id) {
    this.send({ type: 'member_update', properties, ...(id === undefined ? {} : { id }) });
  }

  /**
   * The owner ends a member's seat and keeps the user out of the lobby while it exists.
   * @param {string} userId
   * @param {string} [id]
   */
  kick(userId, id) {
    this.send({ type: 'kick', user_id: userId, ...(id === undefined ? {} : { id }) });
  }

  /**
   * Measures the round-trip time to the server.
   * @returns {Promise<number>} milliseconds; also kept in `rttMs`
   */
  ping() {
    const id = `p${++this.pingSeq}`;
    return new Promise((resolve) => {
      this.pendingPings.set(id, { sentAt: now(), resolve });
      this.send({ type: 'ping', id });
    });
  }

  /**
   * Quick join (SPEC §13): the server reserves this player a seat in a public, unlocked lobby whose
   * properties hold every given key and value and that has a free seat (the fullest first), or makes a
   * new public lobby with these properties, owned by this player. The client's lobby becomes the placed
   * one: `connect()` then takes the reserved seat, which waits `reservedMs` (15 s by default) for it.
   * With `{connect: true}` the client connects at once (unless it is already connected there). A player
   * who holds a seat already gets that lobby back (`created: false`, `reservedMs: 0`).
   * @param {Record<string, string | number | boolean>} [properties] what the lobby must have (and a new one gets)
   * @param {{maxMembers?: number, connect?: boolean, signal?: AbortSignal}} [options] `maxMembers`: the
   *   capacity of a lobby made for this call
   * @returns {Promise<{lobby: string, created: boolean, reservedMs: number}>}
   */
  async quickJoin(properties = {}, options = {}) {
    /** @type {Record<string, unknown>} */
    const body = { properties };
    if (options.maxMembers !== undefined) body.max_members = options.maxMembers;
    const answer = await this.request('POST', '/lobbies/quick-join', body, options.signal);
    if (typeof answer.lobby !== 'string' || answer.lobby === '') {
      throw new LobbyhubHttpError(200, 'invalid_answer', 'quick join answered no lobby');
    }
    const placed = {
      lobby: answer.lobby,
      created: answer.created === true,
      reservedMs: Number.isFinite(answer.reserved_ms) ? answer.reserved_ms : 0,
    };
    const moved = this.options.lobby !== placed.lobby;
    this.options.lobby = placed.lobby;
    if (options.connect && (moved || this.state === 'idle' || this.state === 'closed')) this.connect();
    return placed;
  }

  /**
   * One page of the public lobbies (SPEC §13), filtered by properties and free seats. The next page:
   * the same filters with `cursor: page.nextCursor`, while it is not null.
   * @param {LobbyFilters} [filters]
   * @returns {Promise<{lobbies: Array<{code: string, memberCount: number, max: number, owner: string | null,
   *   locked: boolean, properties: Record<string, unknown>}>, nextCursor: string | null}>}
   */
  async listLobbies(filters = {}) {
    const query = lobbiesQuery(filters);
    const answer = await this.request('GET', query ? `/lobbies?${query}` : '/lobbies', undefined, filters.signal);
    return {
      lobbies: Array.isArray(answer.lobbies) ? answer.lobbies.map(listedLobbyOf) : [],
      nextCursor: typeof answer.next_cursor === 'string' ? answer.next_cursor : null,
    };
  }

  /** @param {object} message */
  send(message) {
    const text = JSON.stringify(message);
    if (this.state === 'open' && this.socket && this.socket.readyState === 1) {
      this.socket.send(text);
      return;
    }
    if (!this.queue.push(text)) {
      this.emit('error', { type: 'error', code: 'queue_overflow', message: 'send queue full: oldest message dropped' });
    }
  }

  // --- internals ---

  async open() {
    if (this.state !== 'reconnecting') this.setState('connecting');
    let token;
    try {
      token = await this.currentToken();
    } catch (error) {
      if (this.stopped) return;
      // The game backend could not give a token: nothing was refused by lobbyhub, so say what failed.
      const retryInMs = this.scheduleRetry('backoff', {}, 'network');
      this.emit('token_error', { type: 'token_error', error, retryInMs });
      return;
    }
    if (this.stopped) return;
    // connect() while connected: the server replaces the older connection when this one arrives.
    if (this.conn) this.abandon(this.conn);
    const position = this.position;
    const lobby = this.currentLobby();
    const resume = position && position.lobby === lobby ? { epoch: position.epoch, offset: position.offset } : null;
    let url = `${this.baseUrl()}/ws/${encodeURIComponent(lobby)}?token=${encodeURIComponent(token)}`;
    if (resume) url += `&since=${encodeURIComponent(String(resume.offset))}&epoch=${encodeURIComponent(resume.epoch)}`;
    const Impl = this.options.WebSocketImpl || WebSocket;
    const socket = new Impl(url);
    const openedAt = now();
    /** @type {Connection} */
    const conn = {
      socket, resume, welcomed: false, openedAt, lastFrameAt: openedAt, lastPingAt: openedAt,
      silentAfterMs: 0, staleAfterMs: 0, pingIntervalMs: 0, probeSentAt: null, timer: null, checkAt: 0,
    };
    this.socket = socket;
    this.conn = conn;
    socket.onmessage = (event) => this.onFrame(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket === socket) this.onClose(event.code, event.reason);
    };
    this.scheduleCheck(conn);
  }

  /** @returns {string} the lobby this client connects to (connect() makes sure there is one) */
  currentLobby() {
    if (!this.options.lobby) throw new Error('LobbyClient needs a lobby: options.lobby, or quickJoin() first');
    return this.options.lobby;
  }

  /** @returns {Promise<string>} the token option's token, asked for again each time when it is a function */
  async currentToken() {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (typeof token !== 'string' || token === '') throw new TypeError('the token function gave no token');
    return token;
  }

  /**
   * A call to lobbyhub's player HTTP API with this player's token; a refusal becomes a LobbyhubHttpError.
   * @param {'GET' | 'POST'} method
   * @param {string} path
   * @param {object} [body] sent as JSON
   * @param {AbortSignal} [signal]
   * @returns {Promise<any>} the answer's JSON object
   */
  async request(method, path, body, signal) {
    const token = await this.currentToken();
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    /** @type {RequestInit} */
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (signal) init.signal = signal;
    const fetchImpl = this.options.fetchImpl || fetch;
    const answer = await fetchImpl(`${this.httpBase()}${path}`, init);
    const text = await answer.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!answer.ok) {
      const code = data && typeof data.error === 'string' ? data.error : `http_${answer.status}`;
      const message = data && typeof data.message === 'string' ? data.message : `lobbyhub answered HTTP ${answer.status}`;
      throw new LobbyhubHttpError(answer.status, code, message);
    }
    if (!data || typeof data !== 'object') {
      throw new LobbyhubHttpError(answer.status, 'invalid_answer', 'lobbyhub answered something that is not a JSON object');
    }
    return data;
  }

  /** The HTTP base: `httpUrl`, else the WebSocket `url` as http(s), else this page's origin. */
  httpBase() {
    if (this.options.httpUrl) return this.options.httpUrl.replace(/\/+$/, '');
    if (this.options.url) return this.options.url.replace(/\/+$/, '').replace(/^ws(s?):/i, 'http$1:');
    return location.origin;
  }

  baseUrl() {
    if (this.options.url) return this.options.url.replace(/\/+$/, '');
    const secure = typeof location !== 'undefined' && location.protocol === 'https:';
    return `${secure ? 'wss' : 'ws'}://${location.host}`;
  }

  /**
   * @param {WebSocket} socket the connection the frame came on
   * @param {string} text
   */
  onFrame(socket, text) {
    const conn = this.conn;
    if (!conn || conn.socket !== socket) return;
    conn.lastFrameAt = now();
    conn.probeSentAt = null;
    let message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (!message || typeof message !== 'object') return;
    switch (message.type) {
      case 'health_ping':
        conn.lastPingAt = conn.lastFrameAt;
        if (this.answerHealthPings) {
          socket.send(JSON.stringify({ type: 'health_pong', timestamp: message.timestamp }));
        }
        return;
      case 'welcome':
        this.onWelcome(conn, message);
        return;
      case 'gap':
        // The server could not deliver from..to: nothing to ask for again after a reconnect.
        if (this.position && Number.isInteger(message.to) && message.to > this.position.offset) {
          this.position.offset = message.to;
        }
        this.emit('gap', message);
        return;
      case 'log_reset':
        this.position = typeof message.epoch === 'string' && Number.isInteger(message.offset)
          ? { lobby: this.currentLobby(), epoch: message.epoch, offset: message.offset } : null;
        this.replayUntil = null;
        // The server lost the lobby's log, and its state with it: members' properties are gone, and
        // owner_changed and lobby_updated (version 0) follow with the state it starts afresh from.
        this.memberProperties = {};
        this.emit('log_reset', message);
        return;
      case 'ack':
        // Its offset is this client's own entry, which it never receives: the position stays.
        this.emit('ack', message);
        return;
      case 'pong': {
        if (typeof message.id === 'string' && message.id.startsWith(PROBE_ID_PREFIX)) return;
        const pending = message.id !== undefined && this.pendingPings.get(message.id);
        if (pending) {
          this.pendingPings.delete(message.id);
          this.rttMs = Math.round(now() - pending.sentAt);
          pending.resolve(this.rttMs);
        }
        this.emit('pong', message);
        return;
      }
      case 'server_shutdown':
        this.reconnectHintMs = message.reconnect_after_ms;
        this.emit('server_shutdown', message);
        return;
      default:
        break;
    }
    // Everything else may be an entry of the lobby log.
    let frame = message;
    if (Number.isInteger(message.offset) && this.position) {
      if (message.offset <= this.position.offset) return; // delivered already
      this.position.offset = message.offset;
      if (this.replayUntil !== null) {
        if (message.offset <= this.replayUntil) frame = { ...message, replayed: true };
        else this.replayUntil = null;
      }
    }
    switch (frame.type) {
      case 'member_joined':
        // A replayed join or leave is already in the welcome's member list.
        if (!frame.replayed && !this.members.includes(frame.user_id)) this.members = [...this.members, frame.user_id];
        this.emit('member_joined', frame);
        if (!frame.replayed) this.emit('members', this.members);
        return;
      case 'member_left':
        if (!frame.replayed) {
          this.members = this.members.filter((id) => id !== frame.user_id);
          this.away = this.away.filter((id) => id !== frame.user_id);
          const { [frame.user_id]: gone, ...rest } = this.memberProperties;
          this.memberProperties = rest;
        }
        this.emit('member_left', frame);
        if (!frame.replayed) this.emit('members', this.members);
        return;
      case 'member_away':
        // Still a member: its seat is held. A replayed one is already in the welcome's lists.
        if (!frame.replayed && !this.away.includes(frame.user_id)) this.away = [...this.away, frame.user_id];
        this.emit('member_away', frame);
        return;
      case 'member_back':
        if (!frame.replayed) this.away = this.away.filter((id) => id !== frame.user_id);
        this.emit('member_back', frame);
        return;
      case 'owner_changed':
        if (!frame.replayed) this.owner = frame.user_id;
        this.emit('owner_changed', frame);
        if (!frame.replayed) this.emit('owner', this.owner);
        return;
      case 'lobby_updated':
        if (!frame.replayed) this.lobby = settingsOf(frame);
        this.emit('lobby_updated', frame);
        if (!frame.replayed) this.emit('lobby', this.lobby);
        return;
      case 'member_updated':
        if (!frame.replayed) {
          const { [frame.user_id]: old, ...others } = this.memberProperties;
          const props = frame.properties && typeof frame.properties === 'object' ? frame.properties : {};
          this.memberProperties = Object.keys(props).length === 0 ? others : { ...others, [frame.user_id]: props };
        }
        this.emit('member_updated', frame);
        if (!frame.replayed) this.emit('members', this.members);
        return;
      default:
        this.emit(frame.type, frame);
    }
  }

  /**
   * @param {Connection} conn
   * @param {any} message the welcome
   */
  onWelcome(conn, message) {
    this.attempt = 0;
    this.reconnectHintMs = null;
    this.abandonedSeatUntil = 0;
    this.userId = message.user_id;
    this.members = Array.isArray(message.members) ? [...message.members] : [];
    this.away = Array.isArray(message.away) ? [...message.away] : [];
    this.owner = typeof message.owner === 'string' ? message.owner : null;
    this.lobby = typeof message.version === 'number' ? settingsOf(message) : null;
    this.memberProperties = message.member_properties && typeof message.member_properties === 'object'
      ? { ...message.member_properties } : {};
    conn.welcomed = true;
    conn.lastPingAt = conn.lastFrameAt;
    conn.staleAfterMs = Number.isFinite(message.stale_after_ms) ? message.stale_after_ms : 0;
    conn.pingIntervalMs = Number.isFinite(message.ping_interval_ms) ? message.ping_interval_ms : 0;
    conn.silentAfterMs = this.options.silentAfterMs !== undefined
      ? this.options.silentAfterMs : silentAfter(message.ping_interval_ms, message.stale_after_ms);
    const hasLog = typeof message.epoch === 'string' && Number.isInteger(message.offset);
    const resume = conn.resume;
    const recovered = hasLog && resume !== null && message.recovered === true;
    if (recovered && resume !== null) {
      // Resume from where this client was; the missed entries, up to the welcome's offset, follow.
      this.position = { lobby: this.currentLobby(), epoch: message.epoch, offset: resume.offset };
      this.replayUntil = message.offset;
    } else {
      this.position = hasLog ? { lobby: this.currentLobby(), epoch: message.epoch, offset: message.offset } : null;
      this.replayUntil = null;
    }
    // This connection took the seat: connections given up earlier are of no use any more.
    this.closeAbandoned();
    this.scheduleCheck(conn);
    this.setState('open');
    this.emit('welcome', message);
    this.emit('members', this.members);
    if (this.lobby !== null) {
      this.emit('owner', this.owner);
      this.emit('lobby', this.lobby);
    }
    if (resume !== null) {
      this.emit('recovered', {
        type: 'recovered', recovered, since: resume.offset,
        epoch: hasLog ? message.epoch : null, offset: hasLog ? message.offset : null,
      });
    }
    if (this.conn !== conn) return; // a listener closed or replaced it
    for (const queued of this.queue.drain()) conn.socket.send(queued);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  onClose(code, reason) {
    if (this.conn) this.stopChecks(this.conn);
    this.conn = null;
    this.socket = null;
    this.lastClose = { code, reason };
    if (this.stopped) return;
    const decision = closeDecision(code, reason);
    if (code === 4011 && now() < this.abandonedSeatUntil) {
      // With on-duplicate=reject the server still seats the connection this client gave up as silent,
      // until it evicts it as stale: that is this client, not another tab. Try again after a backoff.
      this.scheduleRetry('backoff', { code, reason }, 'server');
      return;
    }
    if (!decision.retry) {
      this.finish(code, reason);
      return;
    }
    if (decision.wait === 'new_token' && typeof this.options.token !== 'function') {
      // A fixed token will be refused again: only a token function can get a new one.
      this.finish(code, reason);
      return;
    }
    // 1006: the connection ended without a close frame, as when the network goes.
    this.scheduleRetry(decision.wait, { code, reason }, code === 1006 ? 'network' : 'server', decision.hintMs);
  }

  /**
   * Stops for good after a close that must not be retried.
   * @param {number} code
   * @param {string} reason
   */
  finish(code, reason) {
    this.stopped = true;
    this.listenOnline(false);
    this.closeAbandoned();
    this.setState('closed', { code, reason });
    if (this.options.onGiveUp) this.options.onGiveUp(code, reason);
  }

  /**
   * Sets the current connection's next check for the earliest moment it could be taken for dead.
   * @param {Connection} conn
   */
  scheduleCheck(conn) {
    this.stopChecks(conn);
    const at = this.deadAt(conn);
    if (at === Infinity) return;
    conn.checkAt = at;
    conn.timer = setTimeout(() => {
      conn.timer = null;
      this.check(conn);
    }, Math.max(0, at - now()));
  }

  /** @param {Connection} conn */
  stopChecks(conn) {
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
  }

  /**
   * When the connection counts as dead if nothing changes: before the welcome, at the connect timeout;
   * after it, once no health_ping came for `silentAfterMs` and nothing at all for half of it (a busy
   * lobby's frames do not hide missing pings for long, and a late ping alone is no reason), or, while a
   * probe is unanswered, `probeTimeoutMs` after it went out.
   * @param {Connection} conn
   * @returns {number} a `now()` time, or Infinity
   */
  deadAt(conn) {
    if (!conn.welcomed) {
      const limit = this.options.connectTimeoutMs;
      return limit > 0 ? conn.openedAt + limit : Infinity;
    }
    let at = Infinity;
    if (conn.silentAfterMs > 0) {
      at = Math.max(conn.lastPingAt + conn.silentAfterMs, conn.lastFrameAt + conn.silentAfterMs / 2);
    }
    if (conn.probeSentAt !== null) at = Math.min(at, conn.probeSentAt + this.options.probeTimeoutMs);
    return at;
  }

  /** @param {Connection} conn */
  check(conn) {
    if (this.conn !== conn || this.stopped) return;
    const t = now();
    if (t - conn.checkAt > LATE_CHECK_MS) {
      // Held up (frozen tab, sleep): what arrived meanwhile may not be handled yet. Half a limit's grace.
      const grace = conn.welcomed ? conn.silentAfterMs / 2 : this.options.connectTimeoutMs / 2;
      conn.openedAt = Math.max(conn.openedAt, t - grace);
      conn.lastFrameAt = Math.max(conn.lastFrameAt, t - grace);
      conn.lastPingAt = Math.max(conn.lastPingAt, t - grace);
      if (conn.probeSentAt !== null) conn.probeSentAt = Math.max(conn.probeSentAt, t - this.options.probeTimeoutMs / 2);
    }
    if (t < this.deadAt(conn)) {
      this.scheduleCheck(conn);
      return;
    }
    const reason = conn.welcomed ? 'silent' : 'connect_timeout';
    this.abandon(conn);
    this.lastClose = { code: 1006, reason };
    this.scheduleRetry('backoff', { code: 1006, reason }, 'network');
  }

  /**
   * Stops listening to a connection without closing it. A close frame that reached the server before
   * the next connection would free this user's seat (the server takes a close from the client for
   * leaving) and the lobby log could not be resumed; left open, the connection is replaced by the
   * server when the next one arrives (SPEC §6), or evicted as stale. It is closed after the next
   * welcome, or by `close()`.
   * @param {Connection} conn
   */
  abandon(conn) {
    this.stopChecks(conn);
    const socket = conn.socket;
    socket.onmessage = null;
    socket.onclose = null;
    if (this.conn === conn) {
      this.conn = null;
      this.socket = null;
    }
    if (socket.readyState === 0) {
      socket.close(); // not open yet: no close frame is sent
    } else if (socket.readyState === 1) {
      this.abandoned.add(socket);
      if (conn.welcomed && conn.staleAfterMs > 0) {
        // The server evicts it no later than stale-after plus a ping interval after its last frame (SPEC §4).
        this.abandonedSeatUntil = Math.max(this.abandonedSeatUntil, now() + conn.staleAfterMs + conn.pingIntervalMs);
      }
    }
  }

  /**
   * @param {boolean} [leaving] the user leaves (`close()`): with 1000, so a socket that still holds the
   *   seat frees it instead of leaving it held (SPEC §10)
   */
  closeAbandoned(leaving = false) {
    for (const socket of this.abandoned) {
      if (socket.readyState <= 1) {
        if (leaving) socket.close(1000, 'normal');
        else socket.close();
      }
    }
    this.abandoned.clear();
  }

  forgetPosition() {
    this.position = null;
    this.replayUntil = null;
  }

  /** @param {boolean} on */
  listenOnline(on) {
    const target = typeof globalThis.addEventListener === 'function' ? globalThis : null;
    if (!target) return;
    if (on && !this.onlineListener) {
      this.onlineListener = () => this.onOnline();
      target.addEventListener('online', this.onlineListener);
    } else if (!on && this.onlineListener) {
      target.removeEventListener('online', this.onlineListener);
      this.onlineListener = null;
    }
  }

  /**
   * The browser says the network is back. A retry waiting out a backoff after a lost connection runs
   * now (a wait the server asked for, such as its reconnect hint or a rate-limit pause, is kept). An
   * open connection may belong to the network that went away: it is sent a ping and given up unless
   * something arrives within `probeTimeoutMs`.
   */
  onOnline() {
    if (this.stopped) return;
    if (this.state === 'reconnecting' && this.retryTimer && this.retryCause === 'network') {
      this.clearRetry();
      this.open();
      return;
    }
    const conn = this.conn;
    if (this.state !== 'open' || !conn || !conn.welcomed || conn.socket.readyState !== 1) return;
    if (conn.probeSentAt !== null || !(this.options.probeTimeoutMs > 0)) return;
    conn.probeSentAt = now();
    conn.socket.send(JSON.stringify({ type: 'ping', id: `${PROBE_ID_PREFIX}${++this.probeSeq}` }));
    this.scheduleCheck(conn);
  }

  /**
   * @param {'backoff' | 'hint' | 'pause' | 'new_token'} wait
   * @param {{code?: number, reason?: string}} close
   * @param {'network' | 'server'} cause
   * @param {number} [hintMs] the server's own hint in the close reason: waited exactly
   * @returns {number} the wait in ms
   */
  scheduleRetry(wait, close, cause, hintMs) {
    const { backoffBaseMs, backoffMaxMs, rateLimitPauseMs } = this.options;
    let delay = backoffDelay(this.attempt, backoffBaseMs, backoffMaxMs);
    // A connection that just dropped is tried again at once: its seat is held (SPEC §10) and a quick
    // return recovers the least. Only the first try; the next ones back off.
    if (wait === 'backoff' && cause === 'network' && this.attempt === 0) delay = 0;
    if (wait === 'hint' && this.reconnectHintMs != null) delay = this.reconnectHintMs;
    if (wait === 'pause') delay = rateLimitPauseMs + delay;
    if (hintMs !== undefined) delay = hintMs;
    this.attempt++;
    this.members = [];
    this.away = [];
    this.clearRetry();
    this.retryCause = cause;
    this.setState('reconnecting', { ...close, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryCause = null;
      if (!this.stopped) this.open();
    }, delay);
    return delay;
  }

  clearRetry() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryCause = null;
  }

  /**
   * @param {ClientState} state
   * @param {{code?: number, reason?: string, retryInMs?: number}} [details]
   */
  setState(state, details = {}) {
    this.state = state;
    this.emit('state', { state, ...details });
  }

  /**
   * @param {string} type
   * @param {any} payload
   */
  emit(type, payload) {
    const handlers = this.listeners.get(type);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(payload);
      } catch (e) {
        console.error('lobbyhub: listener for', type, 'failed', e);
      }
    }
  }
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
