package dev.lobbyhub.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Redis server seen from outside: the calls of each command so far ({@code INFO commandstats}, over
 * a plain socket, so no client library is needed) and, given its pid, its CPU time. Blocking: call from
 * the main thread.
 */
final class RedisStats {

    private final int port;
    private final long pid;

    RedisStats(int port, long pid) {
        this.port = port;
        this.pid = pid;
    }

    /** Calls per command (lower case, e.g. {@code publish}) since the server started. */
    Map<String, Long> commandCalls() {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : info("commandstats").split("\r\n")) {
            // cmdstat_publish:calls=123,usec=456,usec_per_call=3.71,rejected_calls=0,failed_calls=0
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                String fields = line.substring(line.indexOf(':') + 1);
                for (String field : fields.split(",")) {
                    if (field.startsWith("calls=")) {
                        calls.put(name, Long.parseLong(field.substring("calls=".length())));
                    }
                }
            }
        }
        return calls;
    }

    /** utime + stime in µs, -1 without a pid. */
    long cpuMicros() {
        return pid > 0 ? ProcStat.cpuMicros(pid) : -1;
    }

    /** The calls each command made between two {@link #commandCalls()} readings, leaving out INFO (the readings themselves). */
    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> delta = new TreeMap<>();
        after.forEach((name, n) -> {
            long d = n - before.getOrDefault(name, 0L);
            if (d > 0 && !name.equals("info")) {
                delta.put(name, d);
            }
        });
        return delta;
    }

    private String info(String section) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("*2\r\n$4\r\nINFO\r\n$" + section.length() + "\r\n" + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String header = readLine(in);
            if (!header.startsWith("$")) {
                throw new IllegalStateException("INFO " + section + " answered " + header);
            }
            byte[] body = in.readNBytes(Integer.parseInt(header.substring(1)));
            return new String(body, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read INFO from Redis on port " + port, e);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
