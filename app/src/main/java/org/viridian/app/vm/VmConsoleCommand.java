package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `viridian vm console VM`: the VM's serial console here, over the service's WebSocket. Output streams until the VM
 * stops (or Ctrl-] is typed); typed lines go to the guest. --print shows what the console has and returns.
 */
@Command(
        name = "console",
        mixinStandardHelpOptions = true,
        description = "Attach to a VM's serial console (Ctrl-] detaches; ends when the VM stops).")
final class VmConsoleCommand extends VmSubcommand {
    private static final Set<String> ACTIVE = Set.of("starting", "running", "paused", "stopping", "saving");
    private static final int DETACH = 0x1d;

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = "--print", description = "Print the console output so far (the last 256 KiB) and return.")
    boolean print;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Detach after this many seconds.")
    Integer timeout;

    @Override
    public Integer call() throws Exception {
        ServiceClient c = connection.client();
        String id = c.get(path(vm)).get("id").asText();
        if (print) {
            out().print(c.text(path(id) + "/console"));
            out().flush();
            return 0;
        }
        PrintStream term = System.out;
        WebSocket ws = c.console(id, new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        byte[] b = new byte[data.remaining()];
                        data.get(b);
                        term.write(b, 0, b.length);
                        term.flush();
                        w.request(1);
                        return null;
                    }
                })
                .get(10, TimeUnit.SECONDS);
        Thread.ofPlatform().daemon(true).name("console-stdin").start(() -> forwardInput(System.in, ws));
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        JsonNode state = c.get(path(id));
        while (true) {
            if (!ACTIVE.contains(state.path("state").asText()) || System.nanoTime() > deadline || detached) break;
            Thread.sleep(300);
            state = c.get(path(id));
        }
        Thread.sleep(100); // the last output's flush interval
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "detached").exceptionally(t -> null);
        term.flush();
        System.err.println(
                detached
                        ? "\n[detached]"
                        : "\n[VM '" + state.path("name").asText() + "' is "
                                + state.path("state").asText()
                                + (state.at("/lastExit/reason").isTextual()
                                        ? ": " + state.at("/lastExit/reason").asText()
                                        : "")
                                + "]");
        return 0;
    }

    private volatile boolean detached;

    private void forwardInput(InputStream in, WebSocket ws) {
        byte[] buf = new byte[256];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == DETACH) {
                        detached = true;
                        return;
                    }
                }
                ws.sendBinary(ByteBuffer.wrap(Arrays.copyOf(buf, n)), true).join();
            }
        } catch (IOException | RuntimeException ignored) {
            // stdin closed: keep showing output until the VM stops
        }
    }
}
