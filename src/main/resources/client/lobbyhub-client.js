// lobbyhub browser client: one lobby connection that answers health pings, keeps the member
// list, queues sends while reconnecting and reconnects the way each close code asks for.
// Types: /lobbyhub-client.d.ts. No dependencies; an ES module.

/** @typedef {'idle'|'connecting'|'open'|'reconnecting'|'closed'} ClientState */

/**
 * What a client does after the server closed the connection.
 * @typedef {{ retry: false }
 *   | { retry: true, wait: 'backoff' | 'hint' | 'pause' | 'new_token' }} CloseDecision
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
  invalid_lobby: { code: 4000, wait: null },
  unauthorized: { code: 4001, wait: 'new_token' },
  server_full: { code: 4002, wait: 'backoff' },
  lobby_full: { code: 4002, wait: null },
  forbidden: { code: 4003, wait: null },
  origin_not_allowed: { code: 4003, wait: null },
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
 * every reason the server has for that code is final.
 * @param {number} code
 * @param {string} reason
 * @returns {CloseDecision}
 */
export function closeDecision(code, reason) {
  const known = Object.prototype.hasOwnProperty.call(CLOSE_ADVICE, reason) ? CLOSE_ADVICE[reason] : undefined;
  if (known && known.code === code) return known.wait === null ? { retry: false } : { retry: true, wait: known.wait };
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
 * @typedef {object} LobbyClientOptions
 * @property {string} lobby lobby code: 1 to 64 of A-Z a-z 0-9 _ -
 * @property {string | (() => string | Promise<string>)} token a JWT, or a function returning one;
 *   a function is called again for every connection attempt after a 4001 close; when it throws or
 *   rejects, a `token_error` event carries the cause and the client tries again after a backoff
 * @property {string} [url] WebSocket base, default `ws(s)://<this page's host>`; the lobby path is appended
 * @property {number} [backoffBaseMs] first backoff ceiling, default 500
 * @property {number} [backoffMaxMs] largest backoff ceiling, default 30000
 * @property {number} [rateLimitPauseMs] wait after a 4008 close, default 5000
 * @property {number} [queueLimit] sends kept while not connected, default 100; beyond it the oldest is dropped
 * @property {(code: number, reason: string) => void} [onGiveUp] called once when the client stops for good
 * @property {typeof WebSocket} [WebSocketImpl] for tests and non-browser runtimes
 */

/**
 * One player's connection to one lobby.
 *
 * Events (listen with `on(type, handler)`): `welcome`, `member_joined`, `member_left`,
 * `lobby_message`, `direct_message`, `error`, `pong`, `server_shutdown` (each with the server's
 * frame), `members` (the current member list), `state` ({state, code?, reason?, retryInMs?}),
 * `token_error` ({error, retryInMs}: the token function threw or rejected; the client backs off and asks again).
 */
export class LobbyClient {
  /** @param {LobbyClientOptions} options */
  constructor(options) {
    if (!options || !options.lobby) throw new Error('LobbyClient needs options.lobby');
    if (!options.token) throw new Error('LobbyClient needs options.token');
    this.options = {
      backoffBaseMs: 500,
      backoffMaxMs: 30000,
      rateLimitPauseMs: 5000,
      queueLimit: 100,
      ...options,
    };
    /** @type {ClientState} */
    this.state = 'idle';
    /** @type {string[]} user ids currently in the lobby, this user included */
    this.members = [];
    /** @type {string | null} */
    this.userId = null;
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
    this.attempt = 0;
    /** @type {number | null} the server's reconnect_after_ms from its last server_shutdown */
    this.reconnectHintMs = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    this.pingSeq = 0;
    /** @type {Map<string, {sentAt: number, resolve: (rtt: number) => void}>} */
    this.pendingPings = new Map();
    this.stopped = false;
    /** When false the client ignores health pings, like a hung tab; for demonstrations and tests. */
    this.answerHealthPings = true;
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

  /** Opens the connection (again). */
  connect() {
    this.stopped = false;
    this.clearRetry();
    this.open();
    return this;
  }

  /** Closes with 1000 and stops reconnecting. */
  close() {
    this.stopped = true;
    this.clearRetry();
    if (this.socket && this.socket.readyState <= 1) this.socket.close(1000, 'normal');
    this.setState('closed', { code: 1000, reason: 'normal' });
  }

  /**
   * Sends `data` to every other member. Queued while not connected.
   * @param {unknown} data
   * @param {string} [id] echoed as `ref` if the server answers with an error
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
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
      if (typeof token !== 'string' || token === '') throw new TypeError('the token function gave no token');
    } catch (error) {
      if (this.stopped) return;
      // The game backend could not give a token: nothing was refused by lobbyhub, so say what failed.
      const retryInMs = this.scheduleRetry('backoff', {});
      this.emit('token_error', { type: 'token_error', error, retryInMs });
      return;
    }
    if (this.stopped) return;
    const Impl = this.options.WebSocketImpl || WebSocket;
    const socket = new Impl(`${this.baseUrl()}/ws/${encodeURIComponent(this.options.lobby)}?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    socket.onmessage = (event) => this.onFrame(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket === socket) this.onClose(event.code, event.reason);
    };
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
    let message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      return;
    }
    switch (message.type) {
      case 'health_ping':
        if (this.answerHealthPings) {
          socket.send(JSON.stringify({ type: 'health_pong', timestamp: message.timestamp }));
        }
        return;
      case 'welcome':
        this.attempt = 0;
        this.reconnectHintMs = null;
        this.userId = message.user_id;
        this.members = [...message.members];
        this.setState('open');
        this.emit('welcome', message);
        this.emit('members', this.members);
        for (const queued of this.queue.drain()) socket.send(queued);
        return;
      case 'member_joined':
        if (!this.members.includes(message.user_id)) this.members = [...this.members, message.user_id];
        this.emit('member_joined', message);
        this.emit('members', this.members);
        return;
      case 'member_left':
        this.members = this.members.filter((id) => id !== message.user_id);
        this.emit('member_left', message);
        this.emit('members', this.members);
        return;
      case 'pong': {
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
        this.emit(message.type, message);
    }
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  onClose(code, reason) {
    this.socket = null;
    this.lastClose = { code, reason };
    if (this.stopped) return;
    const decision = closeDecision(code, reason);
    if (!decision.retry) {
      this.stopped = true;
      this.setState('closed', { code, reason });
      if (this.options.onGiveUp) this.options.onGiveUp(code, reason);
      return;
    }
    if (decision.wait === 'new_token' && typeof this.options.token !== 'function') {
      // A fixed token will be refused again: only a token function can get a new one.
      this.stopped = true;
      this.setState('closed', { code, reason });
      if (this.options.onGiveUp) this.options.onGiveUp(code, reason);
      return;
    }
    this.scheduleRetry(decision.wait, { code, reason });
  }

  /**
   * @param {'backoff' | 'hint' | 'pause' | 'new_token'} wait
   * @param {{code?: number, reason?: string}} close
   * @returns {number} the wait in ms
   */
  scheduleRetry(wait, close) {
    const { backoffBaseMs, backoffMaxMs, rateLimitPauseMs } = this.options;
    let delay = backoffDelay(this.attempt, backoffBaseMs, backoffMaxMs);
    if (wait === 'hint' && this.reconnectHintMs != null) delay = this.reconnectHintMs;
    if (wait === 'pause') delay = rateLimitPauseMs + delay;
    this.attempt++;
    this.members = [];
    this.setState('reconnecting', { ...close, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, delay);
    return delay;
  }

  clearRetry() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
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
