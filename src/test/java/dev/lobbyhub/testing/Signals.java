package dev.lobbyhub.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** POSIX signals to a process the test started, by its PID ({@code kill -STOP 1234}). */
public final class Signals {

    private Signals() {
    }

    /** Sends {@code signal} (a name such as {@code STOP}, {@code CONT}, {@code TERM}, {@code KILL}) to {@code pid}. */
    public static void send(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new AssertionError("kill -" + signal + " " + pid + " did not finish");
            }
            if (kill.exitValue() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " exited " + kill.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
