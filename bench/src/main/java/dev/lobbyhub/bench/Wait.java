package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import io.vertx.core.Future;

/** Bounded waits for the scenario mains (which run on the main thread, never on an event loop). */
final class Wait {

    private Wait() {
    }

    /** The future's result, or an exception once {@code limit} has passed. */
    static <T> T on(Future<T> future, Duration limit) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("not done within " + limit, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Checks {@code condition} every {@code step} until it holds (true) or {@code limit} has passed (false). */
    static boolean until(BooleanSupplier condition, Duration limit, Duration step) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            pause(step);
        }
        return true;
    }

    /** Lets a measurement window pass. */
    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
