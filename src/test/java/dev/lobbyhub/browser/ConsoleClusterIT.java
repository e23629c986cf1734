package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * The operator console of one node of a two-node cluster (SPEC §9): it shows both nodes, a lobby whose members
 * are on different nodes with each one's node, and its message, ping and kick reach a member on the other node.
 * When Redis goes away the console says the backplane is down.
 */
class ConsoleClusterIT {

    private ClusterNodes running;

    @RegisterExtension
    final ClusterNodes.OutputOnFailure output = new ClusterNodes.OutputOnFailure(() -> running);

    private static String text(Browser page, String id) {
        return (String) page.script("const e = document.getElementById(arguments[0]); return e ? e.textContent : null;", id);
    }

    private static void awaitText(Browser page, String id, String expected) {
        page.await(d -> {
            String text = text(page, id);
            return text != null && text.contains(expected);
        });
    }

    private static void fill(Browser page, String id, String value) {
        page.script("document.getElementById(arguments[0]).value = arguments[1];", id, value);
    }

    private static void submit(Browser page, String formId) {
        page.script("document.getElementById(arguments[0]).requestSubmit();", formId);
    }

    private static String rowText(Browser page, String list, String data, String value) {
        return (String) page.script("const li = [...document.querySelectorAll(arguments[0] + ' > li')]"
                + ".find(li => li.dataset[arguments[1]] === arguments[2]); return li ? li.textContent : null;",
                list, data, value);
    }

    @Test
    void theConsoleOfOneNodeShowsAndReachesTheWholeCluster() throws Exception {
        Browser.requireInstalled();
        String lobby = Tokens.unique("console-cluster");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (ClusterNodes cluster = ClusterNodes.builder().nodes(2).keyPrefix("consoleit").faultTimeouts().start()) {
            running = cluster;
            String nodeA = cluster.nodeId(0);
            String nodeB = cluster.nodeId(1);
            try (TestSocket a = TestSocket.joinWelcomed(cluster.base(0), lobby, Tokens.valid(alice));
                    TestSocket b = TestSocket.joinWelcomed(cluster.base(1), lobby, Tokens.valid(bob));
                    Browser page = Browser.open()) {
                page.get(cluster.base(0).resolve("/console/").toString());
                page.await(d -> d.findElement(By.id("login")).isDisplayed());
                fill(page, "key", ClusterNodes.API_KEY);
                submit(page, "login-form");

                // Both nodes, each with its connection, and the backplane as this node sees it.
                page.await(d -> rowText(page, "#nodes", "node", nodeA) != null && rowText(page, "#nodes", "node", nodeB) != null);
                awaitText(page, "cluster-summary", "2 nodes");
                page.await(d -> rowText(page, "#nodes", "node", nodeB).contains("1 / ")
                        && rowText(page, "#nodes", "node", nodeA).contains("1 / "));
                assertTrue(rowText(page, "#nodes", "node", nodeB).contains("last seen"), rowText(page, "#nodes", "node", nodeB));
                awaitText(page, "health", "backplane up");

                // The lobby: a member on each node.
                fill(page, "lobby-code", lobby);
                submit(page, "lobby-form");
                page.await(d -> rowText(page, "#lobby-members", "user", alice) != null
                        && rowText(page, "#lobby-members", "user", bob) != null);
                assertTrue(rowText(page, "#lobby-members", "user", alice).contains("node " + nodeA));
                assertTrue(rowText(page, "#lobby-members", "user", bob).contains("node " + nodeB));

                fill(page, "lobby-message", "{\"round\":2}");
                submit(page, "lobby-message-form");
                awaitText(page, "lobby-result", "Delivered to 2 members.");
                for (TestSocket member : List.of(a, b)) {
                    assertEquals(new JsonObject().put("round", 2),
                            member.expectSkipping("lobby_message", m -> true).getJsonObject("data"));
                }

                // Bob, on the other node: a direct message, a ping, a kick.
                fill(page, "user-id", bob);
                submit(page, "user-form");
                awaitText(page, "user-facts", "node" + nodeB);
                fill(page, "user-message", "over the backplane");
                submit(page, "user-message-form");
                awaitText(page, "user-result", "Delivered to " + bob);
                JsonObject direct = b.expectSkipping("direct_message", m -> true);
                assertEquals("over the backplane", direct.getString("data"));
                assertNull(direct.getValue("from"));
                page.driver().findElement(By.id("ping")).click();
                awaitText(page, "user-result", bob + " is alive");
                page.driver().findElement(By.id("kick")).click();
                page.await(d -> d.findElement(By.id("kick-confirm")).isDisplayed());
                assertFalse(b.isClosed());
                page.driver().findElement(By.id("kick-yes")).click();
                assertEquals(new TestSocket.Close(4006, "kicked"), b.awaitClose());
                awaitText(page, "user-result", "Kicked " + bob + ".");
                page.await(d -> rowText(page, "#lobby-members", "user", bob) == null);

                // Redis goes away: this node says so, and the admin API answers 503 until it is back.
                cluster.killRedis();
                page.await(Duration.ofSeconds(30), d -> "down".equals(
                        page.script("return document.getElementById('health').dataset.backplane;")));
                assertTrue(text(page, "health").contains("not ready"), text(page, "health"));
                awaitText(page, "cluster-error", "503");
                cluster.startRedis();
                page.await(Duration.ofSeconds(60), d -> "up".equals(
                        page.script("return document.getElementById('health').dataset.backplane;")));
            }
        }
    }
}
