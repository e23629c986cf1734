package dev.lobbyhub.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time a process has used (utime + stime from {@code /proc/PID/stat}), in microseconds. */
final class ProcStat {

    private static final long TICK_MICROS = 1_000_000L / clockTicks();

    private ProcStat() {
    }

    /** utime + stime of {@code pid} ({@code 0} = this JVM) in µs, or -1 when it cannot be read. */
    static long cpuMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + (pid > 0 ? Long.toString(pid) : "self") + "/stat"));
            // Fields after the command name, which is in parentheses and may hold spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_MICROS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The CPU of every process, summed; -1 when a pid is unknown (0 or below) or cannot be read. */
    static long cpuMicros(long[] pids) {
        long sum = 0;
        for (long pid : pids) {
            long cpu = pid <= 0 ? -1 : cpuMicros(pid);
            if (cpu < 0) {
                return -1;
            }
            sum += cpu;
        }
        return sum;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
