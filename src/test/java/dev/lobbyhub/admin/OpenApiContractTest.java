package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * The OpenAPI document at {@code /q/openapi} tells the truth: real answers of every admin operation, successes
 * and errors, are checked against it with a JSON Schema validator (networknt, draft 2020-12, the dialect of
 * OpenAPI 3.1). Each answer's status must be one the document lists for that operation, its content type one the
 * document gives, and its body must match the schema; a 204 must have no body. At the end every documented
 * status must have been seen, except 403 {@code admin_api_disabled}, which needs a server without an admin key
 * ({@code AdminApiDisabledTest}).
 */
@QuarkusTest
public class OpenApiContractTest {

    private static final String KEY = "Bearer test-admin-key";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private static JsonNode document;
    private static final Set<String> seen = ConcurrentHashMap.newKeySet();

    @TestHTTPResource("/")
    URI base;

    @BeforeEach
    void readTheServedDocument() throws Exception {
        if (document != null) {
            return;
        }
        document = JSON.readTree(given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().asString());
    }

    @AfterAll
    static void everyDocumentedAnswerWasSeen() {
        if (document == null) {
            return; // the document could not be read: that test failure says so
        }
        Set<String> documented = new TreeSet<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (op.getValue().has("responses")) {
                op.getValue().get("responses").fieldNames().forEachRemaining(status -> {
                    if (!status.equals("403")) {
                        documented.add(op.getKey().toUpperCase() + " " + path.getKey() + " " + status);
                    }
                });
            }
        }));
        documented.removeAll(seen);
        assertEquals(Set.of(), documented, "documented answers no test produced");
    }

    @Test
    void documentIsOpenApi31WithTheAdminAndPlayerPathsOnly() {
        assertTrue(document.get("openapi").asText().startsWith("3.1"), () -> document.get("openapi").asText());
        Set<String> paths = new TreeSet<>();
        document.get("paths").fieldNames().forEachRemaining(paths::add);
        assertEquals(new TreeSet<>(Set.of("/lobbies", "/lobbies/quick-join", "/api/v1/stats", "/api/v1/lobbies",
                "/api/v1/lobbies/{code}", "/api/v1/lobbies/{code}/owner", "/api/v1/lobbies/{code}/reservations", "/api/v1/lobbies/{code}/messages", "/api/v1/users/{id}", "/api/v1/users/{id}/messages",
                "/api/v1/users/{id}/ping", "/api/v1/users/{id}/connection")), paths);
    }

    @Test
    void everyOperationRefusesAMissingOrWrongKeyAsDocumented() {
        document.get("paths").properties().forEach(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            String concrete = path.getKey().replace("{code}", "lobby1").replace("{id}", "alice");
            Response none = call(method, path.getKey(), given(), concrete);
            assertEquals(401, none.statusCode(), concrete);
            assertEquals("Bearer", none.header("WWW-Authenticate"));
            assertEquals(401, call(method, path.getKey(), given().header("Authorization", "Bearer nope"), concrete)
                    .statusCode());
        }));
    }

    @Test
    void statsAndLobbies() {
        String lobbyA = "oa-" + Tokens.unique("a");
        String lobbyB = "oa-" + Tokens.unique("b");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobbyA, Tokens.valid(Tokens.unique("u")));
                TestSocket b = TestSocket.joinWelcomed(base, lobbyB, Tokens.valid(Tokens.unique("u")))) {
            assertEquals(200, admin("get", "/api/v1/stats", given(), "/api/v1/stats").statusCode());

            Response page = admin("get", "/api/v1/lobbies", given().queryParam("limit", 1)
                    .queryParam("cursor", "oa-"), "/api/v1/lobbies");
            assertEquals(200, page.statusCode());
            String next = page.jsonPath().getString("next_cursor");
            assertNotNull(next);
            assertEquals(200, admin("get", "/api/v1/lobbies", given().queryParam("cursor", next), "/api/v1/lobbies")
                    .statusCode());
            assertEquals(200, admin("get", "/api/v1/lobbies", given().queryParam("cursor", "zzzz"), "/api/v1/lobbies")
                    .statusCode());
            for (String limit : new String[] { "0", "1001", "ten" }) {
                assertEquals(400, admin("get", "/api/v1/lobbies", given().queryParam("limit", limit), "/api/v1/lobbies")
                        .statusCode());
            }
            assertEquals(400, admin("get", "/api/v1/lobbies", given().queryParam("cursor", "no%20spaces"),
                    "/api/v1/lobbies").statusCode());

            Response detail = admin("get", "/api/v1/lobbies/{code}", given(), "/api/v1/lobbies/" + lobbyA);
            assertEquals(200, detail.statusCode());
            assertEquals(404, admin("get", "/api/v1/lobbies/{code}", given(), "/api/v1/lobbies/" + lobbyA + "-empty")
                    .statusCode());
        }
    }

    @Test
    void usersConnectedOrNot() {
        String user = Tokens.unique("oa-user");
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("oa"), Tokens.valid(user))) {
            assertEquals(true, admin("get", "/api/v1/users/{id}", given(), "/api/v1/users/" + user)
                    .jsonPath().getBoolean("connected"));
            socket.nextHealthPing();
            // After a pong rtt_ms is a number.
            org.awaitility.Awaitility.await().until(() -> admin("get", "/api/v1/users/{id}", given(),
                    "/api/v1/users/" + user).jsonPath().get("rtt_ms") != null);
        }
        assertEquals(false, admin("get", "/api/v1/users/{id}", given(), "/api/v1/users/" + Tokens.unique("nobody"))
                .jsonPath().getBoolean("connected"));
        // Not UTF-8 (a lone surrogate): no user's id.
        assertEquals(400, admin("get", "/api/v1/users/{id}", given(), "/api/v1/users/%ED%A0%80").statusCode());
        assertEquals(400, admin("delete", "/api/v1/users/{id}/connection", given(), "/api/v1/users/%ED%A0%80/connection")
                .statusCode());
    }

    @Test
    void messages() {
        String lobby = Tokens.unique("oa");
        String user = Tokens.unique("oa-user");
        String lobbyPath = "/api/v1/lobbies/{code}/messages";
        String userPath = "/api/v1/users/{id}/messages";
        try (TestSocket socket = TestSocket.joinWelcomed(base, lobby, Tokens.valid(user))) {
            assertEquals(200, admin("post", lobbyPath, json("{\"data\": {\"move\": 1}, \"exclude_user_id\": null}"),
                    "/api/v1/lobbies/" + lobby + "/messages").statusCode());
            assertEquals(200, admin("post", lobbyPath, json("{\"data\": \"to nobody\"}"),
                    "/api/v1/lobbies/" + lobby + "-empty/messages").statusCode());
            assertEquals(200, admin("post", userPath, json("{\"data\": [1, 2]}"), "/api/v1/users/" + user + "/messages")
                    .statusCode());
            assertEquals(404, admin("post", userPath, json("{\"data\": 1}"), "/api/v1/users/nobody-here/messages")
                    .statusCode());
            String big = "{\"data\": \"" + "x".repeat(70_000) + "\"}";
            for (String[] target : new String[][] { { lobbyPath, "/api/v1/lobbies/" + lobby + "/messages" },
                    { userPath, "/api/v1/users/" + user + "/messages" } }) {
                assertEquals(400, admin("post", target[0], json("{\"data\": 1, \"data\": 2}"), target[1]).statusCode());
                assertEquals(400, admin("post", target[0], json("{\"no_data\": 1}"), target[1]).statusCode());
                assertEquals(400, admin("post", target[0], json("{\"data\": 1} []"), target[1]).statusCode());
                assertEquals(413, admin("post", target[0], json(big), target[1]).statusCode());
                assertEquals(415, admin("post", target[0], given().contentType("text/plain").body("{\"data\": 1}"),
                        target[1]).statusCode());
            }
            assertEquals(400, admin("post", lobbyPath, json("{\"data\": 1}"), "/api/v1/lobbies/bad%20code/messages")
                    .statusCode());
            assertEquals(400, admin("post", lobbyPath, json("{\"data\": 1, \"exclude_user_id\": 7}"),
                    "/api/v1/lobbies/" + lobby + "/messages").statusCode());
        }
    }

    @Test
    void lobbyStateChangesAndOwnership() {
        String lobby = Tokens.unique("oa");
        String owner = Tokens.unique("oa-owner");
        String guest = Tokens.unique("oa-guest");
        String path = "/api/v1/lobbies/{code}";
        String ownerPath = "/api/v1/lobbies/{code}/owner";
        String concrete = "/api/v1/lobbies/" + lobby;
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(guest))) {
            b.send(new io.vertx.core.json.JsonObject().put("type", "member_update")
                    .put("properties", new io.vertx.core.json.JsonObject().put("ready", true)));
            b.expect("member_updated");
            assertEquals(200, admin("get", path, given(), concrete).statusCode());
            assertEquals(200, admin("patch", path, json("{\"locked\": true, \"properties\": {\"mode\": \"ctf\"},"
                    + " \"expected_version\": 0}"), concrete).statusCode());
            assertEquals(409, admin("patch", path, json("{\"locked\": false, \"expected_version\": 0}"), concrete)
                    .statusCode());
            for (String bad : new String[] { "{}", "{\"locked\": 1}", "{\"visibility\": \"all\"}", "[]",
                    "{\"max_members\": 0}", "{\"max_members\": 1000}", "{\"locked\": true, \"locked\": false}",
                    "{\"properties\": {\"x\": \"" + "y".repeat(5000) + "\"}}" }) {
                assertEquals(400, admin("patch", path, json(bad), concrete).statusCode(), bad);
            }
            assertEquals(404, admin("patch", path, json("{\"locked\": true}"), concrete + "-empty").statusCode());
            assertEquals(413, admin("patch", path, json("{\"properties\": \"" + "x".repeat(70_000) + "\"}"), concrete)
                    .statusCode());
            assertEquals(415, admin("patch", path, given().contentType("text/plain").body("{\"locked\": true}"),
                    concrete).statusCode());

            assertEquals(200, admin("put", ownerPath, json("{\"user_id\": \"" + guest + "\"}"), concrete + "/owner")
                    .statusCode());
            assertEquals(404, admin("put", ownerPath, json("{\"user_id\": \"nobody-here\"}"), concrete + "/owner")
                    .statusCode());
            assertEquals(404, admin("put", ownerPath, json("{\"user_id\": \"" + guest + "\"}"),
                    concrete + "-empty/owner").statusCode());
            assertEquals(400, admin("put", ownerPath, json("{\"user\": \"x\"}"), concrete + "/owner").statusCode());
            assertEquals(413, admin("put", ownerPath, json("{\"user_id\": \"" + "x".repeat(70_000) + "\"}"),
                    concrete + "/owner").statusCode());
            assertEquals(415, admin("put", ownerPath, given().contentType("text/plain").body("{}"), concrete + "/owner")
                    .statusCode());
        }
    }

    @Test
    void playersListLobbiesAndQuickJoin() {
        String mode = Tokens.unique("oa-mode");
        Response placed = player("post", "/lobbies/quick-join", json("{\"properties\": {\"mode\": \"" + mode + "\"}}"));
        assertEquals(200, placed.statusCode());
        assertEquals(200, player("get", "/lobbies", given().queryParam("prop.mode", mode).queryParam("limit", 1)).statusCode());
        assertEquals(400, player("get", "/lobbies", given().queryParam("colour", "red")).statusCode());
        assertEquals(400, player("post", "/lobbies/quick-join", json("{\"properties\": [1]}")).statusCode());
        assertEquals(413, player("post", "/lobbies/quick-join", json("{\"properties\": {\"x\": \"" + "y".repeat(6000)
                + "\"}}")).statusCode());
        assertEquals(415, player("post", "/lobbies/quick-join", given().contentType("text/plain").body("{}")).statusCode());
        assertEquals(404, call("post", "/lobbies/quick-join", json("{}").header("Authorization",
                "Bearer " + Tokens.forLobbies(Tokens.unique("oa"), java.util.List.of("oa-nowhere"))), "/lobbies/quick-join")
                .statusCode());
        String eager = "Bearer " + Tokens.valid(Tokens.unique("oa-eager"));
        for (String template : new String[] { "/lobbies", "/lobbies/quick-join" }) {
            String method = template.equals("/lobbies") ? "get" : "post";
            org.awaitility.Awaitility.await().until(() -> call(method, template, json("{}").header("Authorization", eager),
                    template).statusCode() == 429);
        }
    }

    private static Response player(String method, String template, RequestSpecification request) {
        return call(method, template, request.header("Authorization", "Bearer " + Tokens.valid(Tokens.unique("oa-player"))),
                template);
    }

    @Test
    void gameBackendsMakeLobbiesAndReserveSeats() {
        String path = "/api/v1/lobbies";
        // Two seats: the owner's reservation and one more, whatever max-per-lobby the profile has.
        Response made = admin("post", path, json("{\"owner\": \"oa-host\", \"visibility\": \"public\","
                + " \"max_members\": 2}"), path);
        assertEquals(200, made.statusCode());
        String code = made.jsonPath().getString("code");
        assertEquals(200, admin("post", path, given(), path).statusCode());
        assertEquals(400, admin("post", path, json("{\"visibility\": \"everyone\"}"), path).statusCode());
        assertEquals(413, admin("post", path, json("{\"properties\": {\"x\": \"" + "y".repeat(70_000) + "\"}}"), path)
                .statusCode());
        assertEquals(415, admin("post", path, given().contentType("text/plain").body("{}"), path).statusCode());

        String reservations = "/api/v1/lobbies/{code}/reservations";
        String concrete = "/api/v1/lobbies/" + code + "/reservations";
        assertEquals(200, admin("post", reservations, json("{\"user_ids\": [\"oa-p1\"]}"), concrete).statusCode());
        assertEquals(200, admin("get", "/api/v1/lobbies/{code}", given(), "/api/v1/lobbies/" + code).statusCode(),
                "a lobby of reservations only answers");
        assertEquals(409, admin("post", reservations, json("{\"user_ids\": [\"oa-q1\"]}"), concrete).statusCode());
        assertEquals(404, admin("post", reservations, json("{\"user_ids\": [\"oa-p3\"]}"),
                "/api/v1/lobbies/oa-nowhere/reservations").statusCode());
        assertEquals(400, admin("post", reservations, json("{\"user_ids\": []}"), concrete).statusCode());
        assertEquals(413, admin("post", reservations, json("{\"user_ids\": [\"" + "x".repeat(70_000) + "\"]}"), concrete)
                .statusCode());
        assertEquals(415, admin("post", reservations, given().contentType("text/plain").body("{}"), concrete).statusCode());
    }

    @Test
    void pingsAndKicks() {
        String lobby = Tokens.unique("oa");
        String alive = Tokens.unique("oa-alive");
        String hung = Tokens.unique("oa-hung");
        String pingPath = "/api/v1/users/{id}/ping";
        String kickPath = "/api/v1/users/{id}/connection";
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alive));
                TestSocket h = TestSocket.joinWelcomed(base, lobby, Tokens.valid(hung)).stopAnsweringPings()) {
            assertEquals(true, admin("post", pingPath, given(), "/api/v1/users/" + alive + "/ping")
                    .jsonPath().getBoolean("alive"));
            assertEquals(false, admin("post", pingPath, given().queryParam("timeout_ms", 50),
                    "/api/v1/users/" + hung + "/ping").jsonPath().getBoolean("alive"));
            for (String timeout : new String[] { "0", "30001", "soon" }) {
                assertEquals(400, admin("post", pingPath, given().queryParam("timeout_ms", timeout),
                        "/api/v1/users/" + alive + "/ping").statusCode());
            }
            assertEquals(404, admin("post", pingPath, given(), "/api/v1/users/nobody-here/ping").statusCode());

            assertEquals(204, admin("delete", kickPath, given(), "/api/v1/users/" + alive + "/connection").statusCode());
            assertEquals(4006, a.awaitClose().code());
            assertEquals(404, admin("delete", kickPath, given(), "/api/v1/users/" + alive + "/connection").statusCode());
        }
    }

    static RequestSpecification json(String body) {
        return given().contentType("application/json").body(body);
    }

    Response admin(String method, String template, RequestSpecification request, String path) {
        return call(method, template, request.header("Authorization", KEY), path);
    }

    /** Sends the request, then checks the answer against the document's entry for {@code method template}. */
    private static Response call(String method, String template, RequestSpecification request, String path) {
        Response response = request.urlEncodingEnabled(false).request(method.toUpperCase(), path);
        String where = method.toUpperCase() + " " + path + " -> " + response.statusCode();
        JsonNode operation = document.path("paths").path(template).path(method);
        assertTrue(operation.isObject(), () -> "no operation " + method + " " + template + " in the document");
        JsonNode answer = resolve(operation.path("responses").path(String.valueOf(response.statusCode())));
        assertTrue(answer.isObject(), () -> where + ": status not documented; body " + response.asString());
        seen.add(method.toUpperCase() + " " + template + " " + response.statusCode());
        JsonNode content = answer.path("content");
        if (content.isMissingNode()) {
            assertEquals("", response.asString(), where + ": documented without a body");
            return response;
        }
        String mediaType = String.valueOf(response.contentType()).split(";")[0].trim();
        JsonNode media = content.path(mediaType);
        assertTrue(media.isObject(), () -> where + ": content type " + mediaType + " not documented");
        validate(media.path("schema"), response.asString(), where);
        return response;
    }

    private static void validate(JsonNode schemaNode, String body, String where) {
        ObjectNode root = schemaNode.deepCopy();
        root.set("components", document.get("components")); // so "#/components/..." references resolve
        JsonSchema schema = SCHEMAS.getSchema(root);
        Set<ValidationMessage> errors;
        try {
            errors = schema.validate(JSON.readTree(body));
        } catch (Exception e) {
            fail(where + ": body is not JSON: " + body);
            return;
        }
        assertEquals(Set.of(), errors.stream().map(ValidationMessage::getMessage).collect(Collectors.toSet()),
                () -> where + ": body " + body);
    }

    /** Follows a {@code $ref} inside the document. */
    private static JsonNode resolve(JsonNode node) {
        JsonNode ref = node.path("$ref");
        if (!ref.isTextual()) {
            return node;
        }
        JsonNode target = document;
        Iterator<String> parts = java.util.Arrays.asList(ref.asText().substring(2).split("/")).iterator();
        while (parts.hasNext()) {
            target = target.path(parts.next());
        }
        return target;
    }
}
