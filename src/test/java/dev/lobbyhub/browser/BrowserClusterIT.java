package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Balancer;
import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.RedisServer;
import dev.lobbyhub.testing.Tokens;

/**
 * Cluster mode as two players see it: two tabs on the demo page of two nodes (two ports, as behind
 * a load balancer), one Redis, one lobby. They see each other, chat and paint, and one leaving is
 * seen by the other. Behind a real load balancer, a player whose node is killed comes back to its seat.
 */
class BrowserClusterIT {

    private static Map<String, String> node(RedisServer redis, String name) {
        return Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET, "LOBBYHUB_DEMO_ENABLED", "true",
                "LOBBYHUB_CLUSTER_ENABLED", "true", "QUARKUS_REDIS_HOSTS", redis.uri(), "HOSTNAME", name,
                "QUARKUS_SHUTDOWN_DELAY", "0s");
    }

    private static By member(String user) {
        return By.cssSelector("#members li[data-user='" + user + "']");
    }

    @Test
    void twoTabsOnTwoNodesShareOneLobby() throws Exception {
        String lobby = Tokens.unique("cluster");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (RedisServer redis = RedisServer.start();
                PackagedApp first = PackagedApp.start(node(redis, "node-a"));
                PackagedApp second = PackagedApp.start(node(redis, "node-b"));
                Browser a = Browser.open();
                Browser b = Browser.open()) {
            awaitReady(first);
            awaitReady(second);
            a.get(page(first, alice, lobby)).awaitState("open");
            b.get(page(second, bob, lobby)).awaitState("open");
            a.await(d -> !d.findElements(member(bob)).isEmpty());
            b.await(d -> !d.findElements(member(alice)).isEmpty());

            a.driver().findElement(By.id("chat-input")).sendKeys("hello from node a");
            a.driver().findElement(By.cssSelector("#chat-form button")).click();
            b.awaitText(By.cssSelector("#chat p"), "hello from node a");

            b.driver().findElement(By.cssSelector("#board [data-cell='7']")).click();
            a.await(d -> !d.findElement(By.cssSelector("#board [data-cell='7']")).getAttribute("style").isEmpty());

            b.script("window.lobby.close();");
            a.await(d -> d.findElements(member(bob)).isEmpty());
            a.awaitText(By.id("log"), bob + " left (left)");
        }
    }

    /**
     * {@code scripts/local-cluster.sh} as a new user tries it: two nodes behind a real load balancer, two
     * tabs through it. The node of one tab is killed: that player comes back through the balancer to its
     * seat (recovered), and the other tab sees nothing of it, or {@code member_away} then
     * {@code member_back}: never a leave or a join.
     */
    @Test
    void aPlayerOnAKilledNodeComesBackThroughTheBalancerToItsSeat() throws Exception {
        Balancer.requireInstalled();
        String lobby = Tokens.unique("balanced");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (ClusterNodes cluster = ClusterNodes.builder().nodes(2).keyPrefix("balancedit").faultTimeouts()
                .env("LOBBYHUB_DEMO_ENABLED", "true").env("LOBBYHUB_USERS_RECONNECT_GRACE", "20s").start();
                Balancer balancer = Balancer.start(List.of(cluster.base(0), cluster.base(1)));
                Browser a = Browser.open();
                Browser b = Browser.open()) {
            a.get(page(balancer.base(), alice, lobby)).awaitState("open");
            b.get(page(balancer.base(), bob, lobby)).awaitState("open");
            a.await(d -> !d.findElements(member(bob)).isEmpty());
            b.await(d -> !d.findElements(member(alice)).isEmpty());
            String aliceNode = cluster.admin().get(cluster.base(0), "/api/v1/users/" + alice).ok().getString("node_id");

            cluster.kill(cluster.indexOf(aliceNode).orElseThrow());
            a.awaitText(By.id("notice"), "You got your seat back");
            a.awaitState("open");
            a.driver().findElement(By.id("chat-input")).sendKeys("back through the balancer");
            a.driver().findElement(By.cssSelector("#chat-form button")).click();
            b.awaitText(By.cssSelector("#chat p"), "back through the balancer");
            String seenByBob = b.driver().findElement(By.id("log")).getText();
            assertFalse(seenByBob.contains(alice + " left") || seenByBob.contains(alice + " joined"), seenByBob);
            b.await(d -> !d.findElements(member(alice)).isEmpty());
        }
    }

    private static String page(PackagedApp node, String user, String lobby) {
        return page(node.base(), user, lobby);
    }

    private static String page(URI base, String user, String lobby) {
        return base + "?user=" + user + "&lobby=" + lobby + "&token="
                + URLEncoder.encode(Tokens.valid(user), StandardCharsets.UTF_8);
    }

    private static void awaitReady(PackagedApp node) {
        HttpClient http = HttpClient.newHttpClient();
        Awaitility.await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(node.base().resolve("q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }
}
