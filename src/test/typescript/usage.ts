// Compile-only check that the published declarations describe a usable API (run by .ci/run).
import { LobbyClient, closeDecision, backoffDelay, BoundedQueue, CLOSE_ADVICE } from '../../main/resources/client/lobbyhub-client.js';
import type { LobbyMessage, RetryWait, StateChange, TokenError, Welcome } from '../../main/resources/client/lobbyhub-client.js';

const client = new LobbyClient({
  lobby: 'room-42',
  token: async () => 'jwt',
  url: 'wss://lobbies.example.com',
  queueLimit: 50,
  onGiveUp: (code: number, reason: string) => console.log(code, reason),
});
client.on('welcome', (w: Welcome) => console.log(w.members.length, w.ping_interval_ms));
client.on('lobby_message', (m: LobbyMessage) => console.log(m.from ?? 'server', m.data, m.ts));
client.on('member_left', (m) => console.log(m.user_id, m.reason));
client.on('state', (s: StateChange) => console.log(s.state, s.code, s.retryInMs));
const stop: () => void = client.on('members', (ids: string[]) => console.log(ids));
stop();
client.connect().sendLobby({ move: [3, 4] }, 'm1');
client.sendDirect('bob', 'hi');
client.ping().then((rtt: number) => console.log(rtt));
const decision = closeDecision(4005, 'replaced');
if (decision.retry) console.log(decision.wait);
const busy = closeDecision(1013, 'server_busy:2750');
const hinted: number | undefined = busy.retry ? busy.hintMs : undefined;
console.log(hinted);
const delay: number = backoffDelay(2, 500, 30000, Math.random);
const queue = new BoundedQueue<string>(2);
const kept: boolean = queue.push('a');
console.log(delay, kept, queue.size, client.state, client.rttMs);
client.on('token_error', (e: TokenError) => console.log(e.error, e.retryInMs));
const advice: { code: number; wait: RetryWait | null } | undefined = CLOSE_ADVICE['lobby_full'];
console.log(advice?.code);
