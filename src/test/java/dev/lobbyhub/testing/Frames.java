package dev.lobbyhub.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Frame and admin-API helpers for cluster tests that wait through faults. */
public final class Frames {

    private Frames() {
    }

    public static JsonObject joined(String user) {
        return new JsonObject().put("type", "member_joined").put("user_id", user);
    }

    public static JsonObject left(String user, String reason) {
        return new JsonObject().put("type", "member_left").put("user_id", user).put("reason", reason);
    }

    public static JsonObject lobbyMessage(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    /** A copy of a lobby log frame without its {@code offset}, which must be a positive integer (SPEC §11). */
    public static JsonObject withoutOffset(JsonObject frame) {
        Object offset = frame.getValue("offset");
        if (!(offset instanceof Number number) || number.longValue() < 1 || number.doubleValue() != number.longValue()) {
            fail("no offset in " + frame.encode());
        }
        JsonObject copy = frame.copy();
        copy.remove("offset");
        return copy;
    }

    /**
     * A frame without its {@code offset}, when it has one (which must then be a positive integer):
     * for tests of presence and relay that hold whether the lobby log numbers the frame or not
     * (a catch-up after an outage is told outside the log, SPEC §11).
     */
    public static JsonObject bare(JsonObject frame) {
        return frame.containsKey("offset") ? withoutOffset(frame) : frame;
    }

    /** Accepts a frame that is {@code expected} once {@link #bare}. */
    public static Predicate<JsonObject> matches(JsonObject expected) {
        return frame -> expected.equals(bare(frame));
    }

    public static boolean isType(JsonObject frame, String type) {
        return type.equals(frame.getString("type"));
    }

    /**
     * A change of the lobby's state (SPEC §12): a new owner when the owner left, a state made afresh
     * after Redis lost its data. Tests about presence and relay let it pass.
     */
    public static boolean isStateChange(JsonObject frame) {
        return isType(frame, "owner_changed") || isType(frame, "lobby_updated") || isType(frame, "member_updated");
    }

    /** A lobby message (from a member or the admin API): chat the tests let pass. */
    public static boolean isChat(JsonObject frame) {
        return isType(frame, "lobby_message");
    }

    /**
     * The first frame {@code wanted} accepts, arriving before {@code deadline} ({@link System#nanoTime()});
     * frames before it must be ones {@code skip} accepts, any other fails the test.
     */
    public static JsonObject awaitFrame(TestSocket socket, long deadline, Predicate<JsonObject> wanted,
            Predicate<JsonObject> skip, String what) {
        while (true) {
            JsonObject frame = nextBefore(socket, deadline, what);
            if (wanted.test(frame)) {
                return frame;
            }
            if (!skip.test(frame)) {
                fail("waiting for " + what + ", got " + frame.encode());
            }
        }
    }

    /** The next frame if one arrives before {@code deadline}; fails otherwise (also when the socket closed). */
    public static JsonObject nextBefore(TestSocket socket, long deadline, String what) {
        while (true) {
            if (socket.pending() > 0) {
                return socket.next();
            }
            if (System.nanoTime() > deadline) {
                fail("no " + what + " in time" + (socket.isClosed() ? "; the socket closed: " + socket.awaitClose() : ""));
            }
            if (socket.isClosed()) {
                fail("socket closed while waiting for " + what + ": " + socket.awaitClose());
            }
            try {
                // One frame or the end of TestSocket's own bound, whichever comes first.
                return socket.next();
            } catch (AssertionError nothingYet) {
                // TestSocket's bound passed; try again until ours does
            }
        }
    }

    /** Every frame already received and not yet taken. */
    public static List<JsonObject> drain(TestSocket socket) {
        List<JsonObject> frames = new ArrayList<>();
        while (socket.pending() > 0) {
            frames.add(socket.next());
        }
        return frames;
    }

    /** A deadline {@code within} from now, for {@link #awaitFrame}. */
    public static long deadline(Duration within) {
        return System.nanoTime() + within.toNanos();
    }

    /** Members of a lobby as the admin API of {@code node} lists them, user id to node id; empty when 404. */
    public static Map<String, String> lobbyMembers(AdminHttp admin, URI node, String lobby) {
        AdminHttp.Answer answer = admin.get(node, "/api/v1/lobbies/" + AdminHttp.segment(lobby));
        Map<String, String> members = new LinkedHashMap<>();
        if (answer.status() == 404) {
            return members;
        }
        JsonArray listed = answer.ok().getJsonArray("members");
        for (int i = 0; i < listed.size(); i++) {
            JsonObject member = listed.getJsonObject(i);
            if (members.put(member.getString("user_id"), member.getString("node_id")) != null) {
                fail("listed twice: " + answer.body());
            }
        }
        return members;
    }

    /** {@code nodes} of {@code GET /api/v1/stats} on {@code node}: node id to its connections. */
    public static Map<String, Integer> statsNodes(AdminHttp admin, URI node) {
        JsonArray nodes = admin.get(node, "/api/v1/stats").ok().getJsonArray("nodes");
        Map<String, Integer> connections = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject line = nodes.getJsonObject(i);
            connections.put(line.getString("node_id"), line.getInteger("connections"));
        }
        return connections;
    }

    /** Whether the user is connected anywhere, as {@code node} answers it. */
    public static boolean connected(AdminHttp admin, URI node, String user) {
        return admin.get(node, "/api/v1/users/" + AdminHttp.segment(user)).ok().getBoolean("connected");
    }
}
