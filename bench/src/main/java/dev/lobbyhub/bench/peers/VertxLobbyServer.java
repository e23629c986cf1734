package dev.lobbyhub.bench.peers;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Benchmark peer, the JVM floor: a minimal lobby server on a plain Vert.x {@code HttpServer} speaking
 * lobbyhub's protocol shape (welcome, member_joined/member_left, lobby_message relay, direct_message,
 * ping/pong), one event loop, state touched only on it, each relayed frame serialized once into one buffer.
 * No limits, no health pings, no close codes.
 *
 * <pre>PORT=18083 java -cp bench/target/lobbyhub-bench.jar dev.lobbyhub.bench.peers.VertxLobbyServer</pre>
 */
public final class VertxLobbyServer {

    private static final Pattern PATH = Pattern.compile("/ws/([A-Za-z0-9_-]{1,64})");

    private record Member(String user, ServerWebSocket ws) {
    }

    /** Lobby → members in join order; only the (single) event loop touches it. */
    private final Map<String, Set<Member>> lobbies = new HashMap<>();

    /** User → member, for direct_message (one connection per user); only the event loop touches it. */
    private final Map<String, Member> users = new HashMap<>();

    public static void main(String[] args) {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        VertxLobbyServer lobby = new VertxLobbyServer();
        vertx.createHttpServer(new HttpServerOptions().setPerMessageWebSocketCompressionSupported(false)
                        .setPerFrameWebSocketCompressionSupported(false).setIdleTimeout(0))
                .webSocketHandler(lobby::onOpen)
                .requestHandler(req -> req.response().setStatusCode(404).end())
                .listen(port, "0.0.0.0")
                .onSuccess(s -> System.out.println("vertx lobby peer listening on " + s.actualPort()))
                .onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }

    private void onOpen(ServerWebSocket ws) {
        Matcher path = PATH.matcher(ws.path());
        String user = subject(ws.query());
        if (!path.matches() || user == null) {
            ws.reject(404);
            return;
        }
        String name = path.group(1);
        Member me = new Member(user, ws);
        Set<Member> lobby = lobbies.computeIfAbsent(name, n -> new LinkedHashSet<>());
        lobby.add(me);
        users.put(user, me);
        JsonArray members = new JsonArray();
        lobby.forEach(m -> members.add(m.user()));
        ws.writeTextMessage(new JsonObject().put("type", "welcome").put("user_id", user).put("lobby", name)
                .put("members", members).encode());
        broadcast(lobby, me, new JsonObject().put("type", "member_joined").put("user_id", user));

        ws.textMessageHandler(text -> {
            JsonObject msg;
            try {
                msg = new JsonObject(text);
            } catch (RuntimeException e) {
                return;
            }
            String type = msg.getString("type");
            if ("lobby_message".equals(type)) {
                broadcast(lobby, me, new JsonObject().put("type", "lobby_message").put("from", user)
                        .put("data", msg.getValue("data")).put("ts", System.currentTimeMillis()));
            } else if ("direct_message".equals(type)) {
                String to = msg.getString("to");
                Member target = to == null ? null : users.get(to);
                if (target != null && lobby.contains(target)) {
                    target.ws().writeTextMessage(new JsonObject().put("type", "direct_message").put("from", user)
                            .put("data", msg.getValue("data")).put("ts", System.currentTimeMillis()).encode());
                } else {
                    ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "user_not_found")
                            .put("message", "no member " + to + " in this lobby").encode());
                }
            } else if ("ping".equals(type)) {
                ws.writeTextMessage(new JsonObject().put("type", "pong").put("id", msg.getValue("id"))
                        .put("ts", System.currentTimeMillis()).encode());
            }
        });
        ws.exceptionHandler(e -> {
        });
        ws.closeHandler(v -> {
            lobby.remove(me);
            users.remove(user, me);
            if (lobby.isEmpty()) {
                lobbies.remove(name);
            } else {
                broadcast(lobby, null, new JsonObject().put("type", "member_left").put("user_id", user)
                        .put("reason", "left"));
            }
        });
    }

    /** Serializes once and writes the same text to every other member (close handlers run later, on the loop). */
    private static void broadcast(Set<Member> lobby, Member except, JsonObject frame) {
        String text = frame.encode();
        for (Member m : lobby) {
            if (m != except && !m.ws().isClosed()) {
                m.ws().writeTextMessage(text);
            }
        }
    }

    /**
     * The token's {@code sub}, read from the JWT payload. The signature is NOT verified: a peer
     * exists to measure the lobby work, not authentication.
     */
    static String subject(String query) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("token=")) {
                String[] parts = pair.substring(6).split("\\.");
                if (parts.length < 2) {
                    return null;
                }
                try {
                    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
                    return new JsonObject(payload).getString("sub");
                } catch (RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
