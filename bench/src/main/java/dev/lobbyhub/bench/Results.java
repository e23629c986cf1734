package dev.lobbyhub.bench;

import io.vertx.core.json.JsonObject;

/** Machine-readable results: one {@code RESULT {json}} line each, collected by {@code bench/run.sh} for the report. */
final class Results {

    private Results() {
    }

    static void emit(String scenario, String server, JsonObject figures) {
        JsonObject line = new JsonObject().put("scenario", scenario).put("server", server).mergeIn(figures);
        System.out.println("RESULT " + line.encode());
    }
}
