package dev.lobbyhub.peers.naive;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The lobby protocol written the naive way, as a first design would: a map of lobby → connections
 * for presence, and every broadcast iterates all open connections of the endpoint, keeps those
 * whose {@code lobby} path parameter matches, and builds and serializes the frame again for each;
 * a direct_message likewise scans all open connections for the one with that user in that lobby.
 * A benchmark peer only: no limits, no health pings, no close codes.
 */
@WebSocket(path = "/ws/{lobby}")
public class NaiveLobby {

    private final Map<String, Set<WebSocketConnection>> lobbies = new ConcurrentHashMap<>();
    private final Map<String, String> users = new ConcurrentHashMap<>();

    @OnOpen
    public Uni<Void> onOpen(WebSocketConnection connection) {
        String lobby = connection.pathParam("lobby");
        String user = subject(connection.handshakeRequest().query());
        users.put(connection.id(), user);
        Set<WebSocketConnection> members = lobbies.computeIfAbsent(lobby, l -> ConcurrentHashMap.newKeySet());
        members.add(connection);
        JsonArray names = new JsonArray();
        for (WebSocketConnection m : members) {
            names.add(users.get(m.id()));
        }
        JsonObject welcome = new JsonObject().put("type", "welcome").put("user_id", user).put("lobby", lobby)
                .put("members", names);
        return connection.sendText(welcome.encode())
                .chain(() -> broadcast(connection, lobby, () -> new JsonObject().put("type", "member_joined")
                        .put("user_id", user)));
    }

    @OnClose
    public Uni<Void> onClose(WebSocketConnection connection) {
        String lobby = connection.pathParam("lobby");
        String user = users.remove(connection.id());
        Set<WebSocketConnection> members = lobbies.get(lobby);
        if (members != null) {
            members.remove(connection);
        }
        return broadcast(connection, lobby, () -> new JsonObject().put("type", "member_left").put("user_id", user)
                .put("reason", "left"));
    }

    @OnTextMessage
    public Uni<Void> onMessage(WebSocketConnection connection, String text) {
        JsonObject in;
        try {
            in = new JsonObject(text);
        } catch (RuntimeException e) {
            return Uni.createFrom().voidItem();
        }
        String type = in.getString("type");
        if ("ping".equals(type)) {
            return connection.sendText(new JsonObject().put("type", "pong").put("id", in.getValue("id"))
                    .put("ts", System.currentTimeMillis()).encode());
        }
        if ("lobby_message".equals(type)) {
            String from = users.get(connection.id());
            Object data = in.getValue("data");
            long ts = System.currentTimeMillis();
            return broadcast(connection, connection.pathParam("lobby"), () -> new JsonObject()
                    .put("type", "lobby_message").put("from", from).put("data", data).put("ts", ts));
        }
        if ("direct_message".equals(type)) {
            return direct(connection, in.getString("to"), in.getValue("data"));
        }
        return Uni.createFrom().voidItem();
    }

    /** Naive on purpose: scans every open connection and serializes once per receiver. */
    private static Uni<Void> broadcast(WebSocketConnection sender, String lobby,
            java.util.function.Supplier<JsonObject> frame) {
        var sends = new ArrayList<Uni<Void>>();
        for (WebSocketConnection c : sender.getOpenConnections()) {
            if (c != sender && lobby.equals(c.pathParam("lobby"))) {
                sends.add(c.sendText(frame.get().encode()));
            }
        }
        return sends.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(sends).andCollectFailures().replaceWithVoid()
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /**
     * Naive on purpose, like {@link #broadcast}: no user → connection map, it scans every open connection
     * for the recipient in the sender's lobby (one connection per user).
     */
    private Uni<Void> direct(WebSocketConnection sender, String to, Object data) {
        String lobby = sender.pathParam("lobby");
        for (WebSocketConnection c : sender.getOpenConnections()) {
            if (lobby.equals(c.pathParam("lobby")) && to != null && to.equals(users.get(c.id()))) {
                return c.sendText(new JsonObject().put("type", "direct_message").put("from", users.get(sender.id()))
                        .put("data", data).put("ts", System.currentTimeMillis()).encode())
                        .onFailure().recoverWithNull().replaceWithVoid();
            }
        }
        return sender.sendText(new JsonObject().put("type", "error").put("code", "user_not_found")
                .put("message", "no member " + to + " in this lobby").encode());
    }

    /**
     * The token's {@code sub}, read from the JWT payload. The signature is NOT checked: a peer
     * exists to measure the lobby work, not authentication.
     */
    static String subject(String query) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("token=")) {
                    String[] parts = pair.substring(6).split("\\.");
                    if (parts.length >= 2) {
                        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
                        return new JsonObject(payload).getString("sub");
                    }
                }
            }
        }
        return "anonymous";
    }
}
