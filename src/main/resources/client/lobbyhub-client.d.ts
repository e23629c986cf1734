// Type declarations for /lobbyhub-client.js (lobbyhub's browser client).

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export type RetryWait = 'backoff' | 'hint' | 'pause' | 'new_token';
export type CloseDecision = { retry: false } | { retry: true; wait: RetryWait };

/**
 * What to do after each close the server sends, by reason word: its code and how to wait before
 * reconnecting (null: do not reconnect). The same table as the server's close codes.
 */
export const CLOSE_ADVICE: Readonly<Record<string, { code: number; wait: RetryWait | null }>>;

/** Whether and how to reconnect after the server closed with this code and reason. */
export function closeDecision(code: number, reason: string): CloseDecision;

/** Exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random?: () => number): number;

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
  /** Lobby code: 1 to 64 of A-Z a-z 0-9 _ - */
  lobby: string;
  /**
   * A JWT, or a function returning one; a function is asked again after a 4001 close. When the function
   * throws or rejects (your backend is down), the client emits `token_error` with the cause and asks
   * again after a backoff; it keeps trying until `close()`.
   */
  token: string | (() => string | Promise<string>);
  /** WebSocket base such as `wss://lobbies.example.com`; default: this page's host. */
  url?: string;
  /** First backoff ceiling in ms (default 500). */
  backoffBaseMs?: number;
  /** Largest backoff ceiling in ms (default 30000). */
  backoffMaxMs?: number;
  /** Wait after a 4008 rate_limited close, in ms, before the backoff (default 5000). */
  rateLimitPauseMs?: number;
  /** Messages kept while not connected (default 100); beyond it the oldest is dropped. */
  queueLimit?: number;
  /** Called once when the client stops for good (e.g. kicked, replaced, lobby full). */
  onGiveUp?: (code: number, reason: string) => void;
  /** WebSocket constructor to use instead of the global one. */
  WebSocketImpl?: typeof WebSocket;
}

export interface Welcome {
  type: 'welcome';
  connection_id: string;
  user_id: string;
  lobby: string;
  members: string[];
  ping_interval_ms: number;
  stale_after_ms: number;
  max_message_bytes: number;
}
export interface MemberJoined { type: 'member_joined'; user_id: string }
export type LeaveReason = 'left' | 'stale' | 'kicked' | 'replaced' | 'shutdown' | 'rate_limited' | 'slow_consumer'
  | 'node_lost' | 'error';
export interface MemberLeft { type: 'member_left'; user_id: string; reason: LeaveReason }
export interface LobbyMessage<D = unknown> { type: 'lobby_message'; from: string | null; data: D; ts: number }
export interface DirectMessage<D = unknown> { type: 'direct_message'; from: string | null; data: D; ts: number }
export interface Pong { type: 'pong'; id?: string | number; ts: number }
export interface ServerShutdown { type: 'server_shutdown'; reconnect_after_ms: number }
export interface ErrorFrame {
  type: 'error';
  code: 'invalid_json' | 'invalid_message' | 'unknown_type' | 'user_not_found' | 'rate_limited'
    | 'binary_not_supported' | 'queue_overflow';
  message: string;
  ref?: string | number;
}
/** The token function threw or rejected; the client asks again in `retryInMs`. */
export interface TokenError { type: 'token_error'; error: unknown; retryInMs: number }
export interface StateChange { state: ClientState; code?: number; reason?: string; retryInMs?: number }

export interface LobbyClientEvents {
  welcome: Welcome;
  member_joined: MemberJoined;
  member_left: MemberLeft;
  members: string[];
  lobby_message: LobbyMessage;
  direct_message: DirectMessage;
  pong: Pong;
  server_shutdown: ServerShutdown;
  error: ErrorFrame;
  state: StateChange;
  token_error: TokenError;
}

export class LobbyClient {
  constructor(options: LobbyClientOptions);
  readonly state: ClientState;
  /** Current lobby members (user ids), this user included. */
  readonly members: string[];
  /** This connection's user id, known after the welcome. */
  readonly userId: string | null;
  /** Last round-trip time measured with ping(), in ms. */
  readonly rttMs: number | null;
  /** How the last connection ended. */
  readonly lastClose: { code: number; reason: string } | null;
  /** False makes the client ignore health pings, like a hung tab (demonstrations and tests). */
  answerHealthPings: boolean;
  on<K extends keyof LobbyClientEvents>(type: K, handler: (payload: LobbyClientEvents[K]) => void): () => void;
  connect(): this;
  close(): void;
  sendLobby(data: unknown, id?: string): void;
  sendDirect(to: string, data: unknown, id?: string): void;
  ping(): Promise<number>;
}
