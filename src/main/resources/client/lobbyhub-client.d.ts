// Type declarations for /lobbyhub-client.js (lobbyhub's browser client).

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export type RetryWait = 'backoff' | 'hint' | 'pause' | 'new_token';
/** `hintMs`: the close reason ended with the server's retry hint (`server_busy:2750`), waited exactly. */
export type CloseDecision = { retry: false } | { retry: true; wait: RetryWait; hintMs?: number };

/**
 * What to do after each close the server sends, by reason word: its code and how to wait before
 * reconnecting (null: do not reconnect). The same table as the server's close codes.
 */
export const CLOSE_ADVICE: Readonly<Record<string, { code: number; wait: RetryWait | null }>>;

/** Whether and how to reconnect after the server closed with this code and reason (which may carry a retry hint). */
export function closeDecision(code: number, reason: string): CloseDecision;

/** Exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random?: () => number): number;

/**
 * The watchdog's default limit: 2.5 × pingIntervalMs (two health pings in a row missing, and half an
 * interval for a late one), at most staleAfterMs; staleAfterMs alone without a ping interval; 0 when
 * neither is given (no watchdog).
 */
export function silentAfter(pingIntervalMs: number, staleAfterMs: number): number;

/** FIFO that keeps at most `limit` items; when full the oldest is dropped. */
export class BoundedQueue<T> {
  constructor(limit: number);
  readonly limit: number;
  /** How many items were dropped so far. */
  dropped: number;
  readonly size: number;
  /** False when an older item was dropped to make room. */
  push(item: T): boolean;
  drain(): T[];
}

export interface LobbyClientOptions {
  /**
   * Lobby code: 1 to 64 of A-Z a-z 0-9 _ -. May be left out when `quickJoin()` chooses the lobby;
   * `connect()` throws while there is none.
   */
  lobby?: string;
  /**
   * A JWT, or a function returning one; a function is asked again after a 4001 close. When the function
   * throws or rejects (your backend is down), the client emits `token_error` with the cause and asks
   * again after a backoff; it keeps trying until `close()`.
   */
  token: string | (() => string | Promise<string>);
  /** WebSocket base such as `wss://lobbies.example.com`; default: this page's host. */
  url?: string;
  /**
   * HTTP base of the lobby directory and quick join, such as `https://lobbies.example.com`. Default: `url`
   * with `ws:` → `http:` and `wss:` → `https:`, or this page's origin.
   */
  httpUrl?: string;
  /** First backoff ceiling in ms (default 500). */
  backoffBaseMs?: number;
  /** Largest backoff ceiling in ms (default 30000). */
  backoffMaxMs?: number;
  /** Wait after a 4008 rate_limited close, in ms, before the backoff (default 5000). */
  rateLimitPauseMs?: number;
  /** Messages kept while not connected (default 100); beyond it the oldest is dropped. */
  queueLimit?: number;
  /**
   * A connection that has not brought its `welcome` this long after it was opened is given up
   * (state `reconnecting`, code 1006, reason `connect_timeout`) and tried again after a backoff.
   * Default 10000; 0: no limit.
   */
  connectTimeoutMs?: number;
  /**
   * The watchdog: a connection on which no `health_ping` came for this long, and nothing at all for
   * half of it, is given up (code 1006, reason `silent`) and a new one is opened after a backoff. It is
   * left open until the new one is welcomed, so that the server replaces it instead of seeing this
   * user leave. Default: `silentAfter(ping_interval_ms, stale_after_ms)` of each welcome (37.5 s with
   * the server's defaults, 7.5 s before the server would evict it as stale); 0: no watchdog.
   */
  silentAfterMs?: number;
  /**
   * When the window fires `online`, an open connection is sent a ping and given up (reason `silent`)
   * unless something arrives within this many ms; a retry waiting after a lost connection runs at once.
   * Default 5000; 0: no probe.
   */
  probeTimeoutMs?: number;
  /** Called once when the client stops for good (e.g. kicked, replaced, lobby full). */
  onGiveUp?: (code: number, reason: string) => void;
  /** WebSocket constructor to use instead of the global one. */
  WebSocketImpl?: typeof WebSocket;
  /** fetch to use instead of the global one (for `quickJoin` and `listLobbies`). */
  fetchImpl?: typeof fetch;
}

/** A property value quick join and the lobby directory match on: strings of at most 64 characters, numbers, booleans. */
export type PropertyValue = string | number | boolean;

/** Where quick join placed the player (SPEC §13). */
export interface QuickJoinResult {
  /** The lobby's code; the client's `lobbyCode` is now this. */
  lobby: string;
  /** True when no lobby matched and this one was made for the player, who owns it. */
  created: boolean;
  /**
   * How long the reserved seat waits for the player's connection, in ms; connect before it runs out or
   * the seat (and a lobby made for it) is gone. 0 when the player holds a seat there already.
   */
  reservedMs: number;
}

export interface QuickJoinOptions {
  /** The capacity of a lobby made for this call (1 to the server's max-per-lobby); ignored when one matches. */
  maxMembers?: number;
  /** Connect to the placed lobby at once (not when already connected there). Default false. */
  connect?: boolean;
  signal?: AbortSignal;
}

/** What `listLobbies` asks for; every field optional. */
export interface LobbyFilters {
  /** Top-level lobby properties that must match exactly (at most 5 keys). */
  properties?: Record<string, PropertyValue>;
  /** True: only lobbies with a free seat that are not locked. */
  hasSpace?: boolean;
  /** Lobbies per page, 1 to 100 (server default 50). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string | null;
  signal?: AbortSignal;
}

/** One public lobby in the directory. */
export interface ListedLobby {
  code: string;
  /** Connected and away members (reservations not counted). */
  memberCount: number;
  /** The lobby's capacity (its `max_members`). */
  max: number;
  owner: string | null;
  locked: boolean;
  properties: Record<string, unknown>;
}

/** One page of the directory; `nextCursor` is null on the last page. */
export interface LobbyPage {
  lobbies: ListedLobby[];
  nextCursor: string | null;
}

/** The `error` codes of lobbyhub's player HTTP API; `http_<status>` when an answer carried none. */
export type LobbyhubHttpErrorCode = 'invalid_token' | 'invalid_filter' | 'too_many_filters' | 'invalid_limit'
  | 'invalid_cursor' | 'invalid_body' | 'no_lobby' | 'body_too_large' | 'unsupported_media_type' | 'rate_limited'
  | 'backplane_unavailable' | 'invalid_answer' | `http_${number}`;

/**
 * An HTTP call to lobbyhub (`quickJoin`, `listLobbies`) that the server refused. A network failure is not
 * one: it rejects with fetch's own TypeError, and a failing token function with its own error.
 */
export class LobbyhubHttpError extends Error {
  constructor(status: number, code: string, message: string);
  readonly name: 'LobbyhubHttpError';
  /** The HTTP status, e.g. 400, 401, 404 (`no_lobby`: a token limited to some lobbies found no seat), 429. */
  readonly status: number;
  readonly code: LobbyhubHttpErrorCode;
  /** 429 `rate_limited`: over the server's calls per second for this user (5 by default); try again in a second. */
  readonly rateLimited: boolean;
  /** The same call may succeed later: 429 or 5xx (e.g. 503 `backplane_unavailable`). */
  readonly retryable: boolean;
}

/** The query string of `GET /lobbies` for these filters, without the `?`; throws a TypeError for a non-scalar property value. */
export function lobbiesQuery(filters?: LobbyFilters): string;

export interface Welcome {
  type: 'welcome';
  connection_id: string;
  user_id: string;
  lobby: string;
  members: string[];
  ping_interval_ms: number;
  stale_after_ms: number;
  max_message_bytes: number;
  /** Members whose connection dropped and whose seat is held for their return (SPEC §10); in `members` too. */
  away?: string[];
  /** How long the server holds a dropped member's seat; 0: not at all. */
  reconnect_grace_ms?: number;
  /** The lobby log's epoch (SPEC §11); absent when the server's log is off. */
  epoch?: string;
  /** The lobby's last log offset when this welcome was built; `members` are as of it. Absent when the log is off. */
  offset?: number;
  /** Present only when the connection asked to resume (`since` in its URL): whether the missed frames follow. */
  recovered?: boolean;
  /** The member who owns the lobby (SPEC §12); may be away, so not always among the connected. */
  owner?: string;
  locked?: boolean;
  visibility?: Visibility;
  /** The lobby's own capacity. */
  max_members?: number;
  properties?: Record<string, unknown>;
  /** One more per lobby update. */
  version?: number;
  /** Each member's own properties; members without any are left out. */
  member_properties?: Record<string, Record<string, unknown>>;
}
export type Visibility = 'public' | 'private';
/** The lobby's settings (SPEC §12), as of the welcome or the last `lobby_updated`. */
export interface LobbySettings {
  locked: boolean;
  visibility: Visibility;
  max_members: number;
  properties: Record<string, unknown>;
  version: number;
}
/** What the owner changes with `updateLobby`; `properties` replaces the whole object. */
export interface LobbyUpdate {
  locked?: boolean;
  visibility?: Visibility;
  max_members?: number;
  properties?: Record<string, unknown>;
  /** Check-and-set: the update is made only at this version, else an `error` `version_conflict`. */
  expected_version?: number;
}
/**
 * Fields of a frame from the lobby log. `offset` grows by one per entry of the lobby's log (a client
 * sees increasing offsets with holes: entries not meant for it are skipped); absent with the log off.
 * `replayed` is true on a frame missed while disconnected and replayed after a recovered welcome:
 * its presence is already in the welcome's member list, so `members` does not change for it.
 */
export interface LogEntry { offset?: number; replayed?: true }
export interface MemberJoined extends LogEntry { type: 'member_joined'; user_id: string }
export type LeaveReason = 'left' | 'dropped' | 'stale' | 'kicked' | 'replaced' | 'shutdown' | 'rate_limited' | 'slow_consumer'
  | 'node_lost' | 'error';
export interface MemberLeft extends LogEntry { type: 'member_left'; user_id: string; reason: LeaveReason }
/** A member's connection dropped; its seat is held for `hold_ms` (it stays in `members`, and is in `away`). */
export interface MemberAway extends LogEntry { type: 'member_away'; user_id: string; reason: LeaveReason; hold_ms: number }
/** An away member took its seat again. */
export interface MemberBack extends LogEntry { type: 'member_back'; user_id: string }
/** The lobby has a new owner: the member seated longest when the owner's seat ended, or the game backend's choice. */
export interface OwnerChanged extends LogEntry { type: 'owner_changed'; user_id: string; previous: string | null }
/** The lobby's settings after an update; `by` is the owner, null when the game backend changed them. */
export interface LobbyUpdated extends LogEntry, LobbySettings { type: 'lobby_updated'; by: string | null }
/** A member set its own properties (the sender hears it too). */
export interface MemberUpdated extends LogEntry { type: 'member_updated'; user_id: string; properties: Record<string, unknown> }
export interface LobbyMessage<D = unknown> extends LogEntry { type: 'lobby_message'; from: string | null; data: D; ts: number }
export interface DirectMessage<D = unknown> extends LogEntry { type: 'direct_message'; from: string | null; data: D; ts: number }
/** A lobby_message or direct_message sent with an `id` is in the lobby log at `offset`. */
export interface Ack { type: 'ack'; id: string | number; offset: number }
/** The server could not deliver the log entries from `from` to `to` (inclusive); live frames follow. */
export interface Gap { type: 'gap'; from: number; to: number }
/**
 * The lobby's log was lost and starts again in a new epoch; the client continues from `offset`. Its state
 * (SPEC §12) was lost too: members' properties are cleared, and `owner_changed` (previous null) and
 * `lobby_updated` (version 0) follow.
 */
export interface LogReset { type: 'log_reset'; epoch: string; offset: number }
/**
 * Emitted after the welcome of a connection that asked to resume the lobby log: the client's own
 * reconnects, once it has seen a log position. `recovered: false`: the frames sent meanwhile are lost,
 * resynchronise the game's state. `since` is the offset asked for; `epoch` and `offset` are the
 * welcome's (null when the server's log is off: then `recovered` is false).
 */
export interface Recovered { type: 'recovered'; recovered: boolean; since: number; epoch: string | null; offset: number | null }
export interface Pong { type: 'pong'; id?: string | number; ts: number }
export interface ServerShutdown { type: 'server_shutdown'; reconnect_after_ms: number }
export interface ErrorFrame {
  type: 'error';
  code: 'invalid_json' | 'invalid_message' | 'unknown_type' | 'user_not_found' | 'rate_limited'
    | 'binary_not_supported' | 'not_owner' | 'version_conflict' | 'properties_too_large' | 'queue_overflow';
  message: string;
  ref?: string | number;
}
/** The token function threw or rejected; the client asks again in `retryInMs`. */
export interface TokenError { type: 'token_error'; error: unknown; retryInMs: number }
/**
 * A state change. With `reconnecting`, `code` and `reason` tell how the last connection ended: the
 * server's close, or code 1006 with reason `silent` (the watchdog gave it up) or `connect_timeout`.
 */
export interface StateChange { state: ClientState; code?: number; reason?: string; retryInMs?: number }

export interface LobbyClientEvents {
  welcome: Welcome;
  member_joined: MemberJoined;
  member_left: MemberLeft;
  member_away: MemberAway;
  member_back: MemberBack;
  /** The member list; also emitted when a member's properties changed. */
  members: string[];
  owner_changed: OwnerChanged;
  lobby_updated: LobbyUpdated;
  member_updated: MemberUpdated;
  /** The owner's user id, after each welcome and each change. */
  owner: string | null;
  /** The lobby's settings, after each welcome and each update. */
  lobby: LobbySettings;
  lobby_message: LobbyMessage;
  direct_message: DirectMessage;
  ack: Ack;
  gap: Gap;
  log_reset: LogReset;
  recovered: Recovered;
  pong: Pong;
  server_shutdown: ServerShutdown;
  error: ErrorFrame;
  state: StateChange;
  token_error: TokenError;
}

export class LobbyClient {
  constructor(options: LobbyClientOptions);
  readonly state: ClientState;
  /** Current lobby members (user ids), this user included, away ones too. */
  readonly members: string[];
  /** Members whose seat is held while their connection is gone (SPEC §10). */
  readonly away: string[];
  /** This connection's user id, known after the welcome. */
  readonly userId: string | null;
  /** The lobby's owner (SPEC §12), known after the welcome. */
  readonly owner: string | null;
  /** The lobby's settings, known after the welcome. */
  readonly lobby: LobbySettings | null;
  /** Each member's own properties; members without any are left out. */
  readonly memberProperties: Record<string, Record<string, unknown>>;
  /** The lobby `connect()` joins: `options.lobby`, or the one `quickJoin()` placed the player in. */
  readonly lobbyCode: string | null;
  /** Last round-trip time measured with ping(), in ms. */
  readonly rttMs: number | null;
  /** How the last connection ended. */
  readonly lastClose: { code: number; reason: string } | null;
  /** The lobby log's epoch; null with the log off, before the first welcome and after close(). */
  readonly epoch: string | null;
  /** The highest log offset seen (or the last welcome's); the next reconnect resumes after it. */
  readonly offset: number | null;
  /** False makes the client ignore health pings, like a hung tab (demonstrations and tests). */
  answerHealthPings: boolean;
  on<K extends keyof LobbyClientEvents>(type: K, handler: (payload: LobbyClientEvents[K]) => void): () => void;
  /**
   * Opens the connection to `lobbyCode`. After close() or a final close it starts afresh (nothing is
   * resumed). Throws when there is no lobby yet (no `options.lobby`, no `quickJoin()`).
   */
  connect(): this;
  /**
   * Quick join (SPEC §13): reserves this player a seat in a public, unlocked lobby whose properties hold
   * every given key and value and that has a free seat (the fullest first), or makes a new public lobby
   * with these properties, owned by this player. The placed lobby becomes `lobbyCode`; then call
   * `connect()` (or pass `{connect: true}`) before `reservedMs` runs out:
   *
   * ```js
   * const client = new LobbyClient({ token: () => getToken() });
   * const placed = await client.quickJoin({ mode: 'duel' });
   * client.connect(); // into placed.lobby
   * ```
   *
   * A player who holds a seat already gets that lobby back (`created: false`, `reservedMs: 0`); asking
   * again before connecting answers the same reservation. A token with a `lobbies` claim only considers
   * those lobbies and never makes one: 404 `no_lobby` when none has a seat. Rejects with a
   * `LobbyhubHttpError` on a refusal (400 `invalid_body` for a bad property value, 401, 429, 503).
   */
  quickJoin(properties?: Record<string, PropertyValue>, options?: QuickJoinOptions): Promise<QuickJoinResult>;
  /**
   * One page of the public lobbies, e.g. `listLobbies({ properties: { mode: 'duel' }, hasSpace: true })`.
   * For the next page pass the same filters with `cursor: page.nextCursor` while it is not null. A token
   * with a `lobbies` claim sees only those lobbies. Rejects with a `LobbyhubHttpError` on a refusal
   * (400 `invalid_filter`, `too_many_filters`, `invalid_limit`, `invalid_cursor`; 401; 429; 503).
   */
  listLobbies(filters?: LobbyFilters): Promise<LobbyPage>;
  close(): void;
  /** With an `id` (and the server's log on) the server answers with an `ack` event. */
  sendLobby(data: unknown, id?: string): void;
  sendDirect(to: string, data: unknown, id?: string): void;
  /** The owner changes the lobby's settings; everyone hears `lobby_updated`, a refusal is an `error`. */
  updateLobby(changes: LobbyUpdate, id?: string): void;
  /** Sets this member's own properties (`{}` clears them); everyone hears `member_updated`. */
  updateMe(properties: Record<string, unknown>, id?: string): void;
  /** The owner ends a member's seat; the user cannot come back while the lobby exists. */
  kick(userId: string, id?: string): void;
  ping(): Promise<number>;
}
