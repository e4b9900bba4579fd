package org.viridian.management.worker;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Objects;
import org.viridian.management.config.Disk;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RecorderEntry;
import org.viridian.management.service.VmExit;
import org.viridian.management.service.VmMetrics;

/**
 * The service ↔ worker protocol (version {@value #VERSION}): every frame is one of these records, JSON-encoded with a
 * {@code type} name ({@link FrameCodec}). The service speaks {@link ToWorker}, the worker {@link ToService}; a record
 * arriving in the wrong direction is refused like an unknown one. Each record checks its own fields when parsed, so
 * what the session code sees is well-formed.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = WorkerMessage.ServiceHello.class, name = "service-hello"),
    @JsonSubTypes.Type(value = WorkerMessage.Pause.class, name = "pause"),
    @JsonSubTypes.Type(value = WorkerMessage.Resume.class, name = "resume"),
    @JsonSubTypes.Type(value = WorkerMessage.PowerOff.class, name = "power-off"),
    @JsonSubTypes.Type(value = WorkerMessage.RequestShutdown.class, name = "request-shutdown"),
    @JsonSubTypes.Type(value = WorkerMessage.SendInput.class, name = "send-input"),
    @JsonSubTypes.Type(value = WorkerMessage.AttachDisk.class, name = "attach-disk"),
    @JsonSubTypes.Type(value = WorkerMessage.DetachDisk.class, name = "detach-disk"),
    @JsonSubTypes.Type(value = WorkerMessage.UpdateDisk.class, name = "update-disk"),
    @JsonSubTypes.Type(value = WorkerMessage.AddAdapter.class, name = "add-adapter"),
    @JsonSubTypes.Type(value = WorkerMessage.RemoveAdapter.class, name = "remove-adapter"),
    @JsonSubTypes.Type(value = WorkerMessage.UpdateAdapter.class, name = "update-adapter"),
    @JsonSubTypes.Type(value = WorkerMessage.ReadFlightRecorder.class, name = "read-flight-recorder"),
    @JsonSubTypes.Type(value = WorkerMessage.ReadMetrics.class, name = "read-metrics"),
    @JsonSubTypes.Type(value = WorkerMessage.Save.class, name = "save"),
    @JsonSubTypes.Type(value = WorkerMessage.ReadScreenshot.class, name = "read-screenshot"),
    @JsonSubTypes.Type(value = WorkerMessage.ReadScreenChanges.class, name = "read-screen-changes"),
    @JsonSubTypes.Type(value = WorkerMessage.SendKeys.class, name = "send-keys"),
    @JsonSubTypes.Type(value = WorkerMessage.SendPointer.class, name = "send-pointer"),
    @JsonSubTypes.Type(value = WorkerMessage.WorkerHello.class, name = "worker-hello"),
    @JsonSubTypes.Type(value = WorkerMessage.Done.class, name = "done"),
    @JsonSubTypes.Type(value = WorkerMessage.Answer.class, name = "answer"),
    @JsonSubTypes.Type(value = WorkerMessage.Recorder.class, name = "recorder"),
    @JsonSubTypes.Type(value = WorkerMessage.Metrics.class, name = "metrics"),
    @JsonSubTypes.Type(value = WorkerMessage.Screenshot.class, name = "screenshot"),
    @JsonSubTypes.Type(value = WorkerMessage.ScreenChanges.class, name = "screen-changes"),
    @JsonSubTypes.Type(value = WorkerMessage.Failed.class, name = "failed"),
    @JsonSubTypes.Type(value = WorkerMessage.Console.class, name = "console"),
    @JsonSubTypes.Type(value = WorkerMessage.StateChanged.class, name = "state"),
    @JsonSubTypes.Type(value = WorkerMessage.IntegrationChanged.class, name = "integration"),
    @JsonSubTypes.Type(value = WorkerMessage.Exited.class, name = "exited"),
})
public sealed interface WorkerMessage {
    /** Version 1: the records below. A peer speaking another version is refused at Hello. */
    int VERSION = 1;

    /** Bytes of console input or output in one frame. */
    int MAX_CONSOLE_CHUNK = 64 * 1024;

    /** Bytes of scrollback in the worker's Hello (its console ring). */
    int MAX_SCROLLBACK = 256 * 1024;

    /** Bytes of a screenshot's PNG: what fits one frame once base64-encoded in JSON. */
    int MAX_SCREENSHOT = FrameCodec.MAX_FRAME / 4 * 3 - 4096;

    /**
     * Pixels of screen changes in one {@link ScreenChanges}: even deflated to nothing, 3 bytes each fit one frame once
     * base64-encoded; what is left over comes with the next request.
     */
    int MAX_SCREEN_PIXELS = MAX_SCREENSHOT / 3 - 16 * 1024;

    /** Key events in one {@link SendKeys}. */
    int MAX_KEYS = 1024;

    /** Characters of a reason or error message. */
    int MAX_TEXT = 64 * 1024;

    /** What the service sends: its Hello, then requests. */
    sealed interface ToWorker extends WorkerMessage {}

    /** What the worker sends: its Hello, then replies and events. */
    sealed interface ToService extends WorkerMessage {}

    /** A request: answered by a {@link Reply} with the same id (ids are the service's, positive). */
    sealed interface Request extends ToWorker {
        long id();
    }

    /** The answer to the request with {@code id()}. */
    sealed interface Reply extends ToService {
        long id();
    }

    /** What the worker tells unasked. */
    sealed interface Event extends ToService {}

    /** The VM's run state as the worker reports it. */
    enum RunState {
        RUNNING,
        PAUSED
    }

    /** Why a request failed, so the service raises what an in-process engine would have thrown. */
    enum Failure {
        /** The frame was refused: malformed, unknown, oversized or out of order. */
        PROTOCOL,
        ILLEGAL_ARGUMENT,
        ILLEGAL_STATE,
        UNSUPPORTED,
        IO
    }

    // ---- service → worker

    /** The service's first frame on a connection. */
    record ServiceHello(int version) implements ToWorker {}

    record Pause(long id) implements Request {
        public Pause {
            requireId(id);
        }
    }

    record Resume(long id) implements Request {
        public Resume {
            requireId(id);
        }
    }

    /** Hard power-off; the worker reports {@link Exited} once the VM is down. */
    record PowerOff(long id, String why) implements Request {
        public PowerOff {
            requireId(id);
            requireText(why, "why");
        }
    }

    /** Answered by {@link Answer}: true when the guest was asked, false when it has no channel for it. */
    record RequestShutdown(long id) implements Request {
        public RequestShutdown {
            requireId(id);
        }
    }

    record SendInput(long id, byte[] bytes) implements Request {
        public SendInput {
            requireId(id);
            requireBytes(bytes, MAX_CONSOLE_CHUNK, "bytes");
        }
    }

    record AttachDisk(long id, Disk disk) implements Request {
        public AttachDisk {
            requireId(id);
            Objects.requireNonNull(disk, "disk");
        }
    }

    record DetachDisk(long id, int slot) implements Request {
        public DetachDisk {
            requireId(id);
            if (slot < 0) throw new IllegalArgumentException("slot must not be negative: " + slot);
        }
    }

    /**
     * The attached disk in {@code disk.slot()} takes {@code disk}'s IOPS/bandwidth limits (its path and mode stay as
     * attached). A worker older than this record refuses it as an unknown frame: the service's call times out and the
     * disk keeps its limits.
     */
    record UpdateDisk(long id, Disk disk) implements Request {
        public UpdateDisk {
            requireId(id);
            Objects.requireNonNull(disk, "disk");
        }
    }

    record AddAdapter(long id, NetworkAdapter adapter) implements Request {
        public AddAdapter {
            requireId(id);
            Objects.requireNonNull(adapter, "adapter");
        }
    }

    record RemoveAdapter(long id, NetworkAdapter adapter) implements Request {
        public RemoveAdapter {
            requireId(id);
            Objects.requireNonNull(adapter, "adapter");
        }
    }

    record UpdateAdapter(long id, NetworkAdapter from, NetworkAdapter to) implements Request {
        public UpdateAdapter {
            requireId(id);
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /** Answered by {@link Recorder}. */
    record ReadFlightRecorder(long id) implements Request {
        public ReadFlightRecorder {
            requireId(id);
        }
    }

    /** Answered by {@link Metrics}. */
    record ReadMetrics(long id) implements Request {
        public ReadMetrics {
            requireId(id);
        }
    }

    /**
     * Saves the VM into {@code file}, a plain name in the worker's runtime directory (the one place a confined worker
     * may write); answered by {@link Done} once the file is whole, the VM then paused.
     */
    record Save(long id, String file) implements Request {
        public Save {
            requireId(id);
            requireText(file, "file");
            if (!file.matches("[A-Za-z0-9._-]{1,64}") || file.startsWith("."))
                throw new IllegalArgumentException("file must be a plain file name: " + file);
        }
    }

    /** Answered by {@link Screenshot}. */
    record ReadScreenshot(long id) implements Request {
        public ReadScreenshot {
            requireId(id);
        }
    }

    /**
     * Answered by {@link ScreenChanges}: what changed on the guest's screen since the last one (the worker tracks it);
     * {@code all}: the whole screen (a service that has no copy yet, e.g. one that adopted the worker).
     */
    record ReadScreenChanges(long id, boolean all) implements Request {
        public ReadScreenChanges {
            requireId(id);
        }
    }

    /** Keys for the synthetic keyboard (each a scancode set 1 key event, checked by KeyEvent itself). */
    record SendKeys(long id, List<org.viridian.devices.input.KeyEvent> keys) implements Request {
        public SendKeys {
            requireId(id);
            keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
            if (keys.isEmpty() || keys.size() > MAX_KEYS)
                throw new IllegalArgumentException("1.." + MAX_KEYS + " keys, not " + keys.size());
        }
    }

    /** The synthetic mouse's state (absolute position, buttons, wheel; checked by PointerEvent itself). */
    record SendPointer(long id, org.viridian.devices.input.PointerEvent pointer) implements Request {
        public SendPointer {
            requireId(id);
            Objects.requireNonNull(pointer, "pointer");
        }
    }

    // ---- worker → service

    /**
     * The worker's answer to {@link ServiceHello}: who it is, the VM's state, and its console's scrollback (the output so
     * far, as far as its ring reaches); console events carry on from the end of it.
     */
    record WorkerHello(int version, long pid, String vmId, RunState state, byte[] scrollback) implements ToService {
        public WorkerHello {
            if (pid <= 0) throw new IllegalArgumentException("pid must be positive: " + pid);
            requireText(vmId, "vmId");
            Objects.requireNonNull(state, "state");
            requireBytes(scrollback, MAX_SCROLLBACK, "scrollback");
        }
    }

    record Done(long id) implements Reply {
        public Done {
            requireId(id);
        }
    }

    record Answer(long id, boolean value) implements Reply {
        public Answer {
            requireId(id);
        }
    }

    record Recorder(long id, List<RecorderEntry> entries) implements Reply {
        public Recorder {
            requireId(id);
            entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
        }
    }

    record Metrics(long id, VmMetrics metrics) implements Reply {
        public Metrics {
            requireId(id);
            Objects.requireNonNull(metrics, "metrics");
        }
    }

    /** The guest's screen as a PNG (empty: no display set up yet). */
    record Screenshot(long id, byte[] png) implements Reply {
        public Screenshot {
            requireId(id);
            requireBytes(png, MAX_SCREENSHOT, "png");
        }
    }

    /**
     * The parts of the guest's screen that changed ({@code width} 0: no picture yet); {@code resized}: the screen took
     * this size and the tiles start it over; {@code complete} false: more changes wait for the next request.
     */
    record ScreenChanges(long id, int width, int height, boolean resized, boolean complete, List<ScreenTile> tiles)
            implements Reply {
        public ScreenChanges {
            requireId(id);
            tiles = List.copyOf(Objects.requireNonNull(tiles, "tiles"));
            if (width < 0
                    || height < 0
                    || width > org.viridian.devices.video.VideoMode.MAX_WIDTH
                    || height > org.viridian.devices.video.VideoMode.MAX_HEIGHT
                    || (width == 0) != (height == 0))
                throw new IllegalArgumentException("a screen of " + width + "x" + height);
            long pixels = 0;
            for (ScreenTile t : tiles) {
                if (t.x() + t.width() > width || t.y() + t.height() > height)
                    throw new IllegalArgumentException("a tile outside the " + width + "x" + height + " screen");
                pixels += (long) t.width() * t.height();
            }
            if (pixels > MAX_SCREEN_PIXELS) throw new IllegalArgumentException(pixels + " pixels of changes");
        }
    }

    /** A changed part of the screen: where, and its pixels as deflated R, G, B bytes (Framebuffer.deflated). */
    record ScreenTile(int x, int y, int width, int height, byte[] pixels) {
        public ScreenTile {
            if (x < 0 || y < 0 || width < 1 || height < 1)
                throw new IllegalArgumentException("a tile of " + width + "x" + height + " at " + x + "," + y);
            requireBytes(pixels, MAX_SCREENSHOT, "pixels");
        }
    }

    /** A refused or failed request ({@code id} 0: a frame that carried no readable id). */
    record Failed(long id, Failure failure, String message) implements Reply {
        public Failed {
            if (id < 0) throw new IllegalArgumentException("id must not be negative: " + id);
            Objects.requireNonNull(failure, "failure");
            requireText(message, "message");
        }
    }

    /** Serial console output, in order. */
    record Console(byte[] bytes) implements Event {
        public Console {
            requireBytes(bytes, MAX_CONSOLE_CHUNK, "bytes");
        }
    }

    record StateChanged(RunState state) implements Event {
        public StateChanged {
            Objects.requireNonNull(state, "state");
        }
    }

    /** What the integration services know of the guest now (sent when it changes). */
    record IntegrationChanged(GuestIntegration integration) implements Event {
        public IntegrationChanged {
            Objects.requireNonNull(integration, "integration");
        }
    }

    /** The VM ended; the worker exits after sending this. */
    record Exited(VmExit exit) implements Event {
        public Exited {
            Objects.requireNonNull(exit, "exit");
            requireText(exit.reason(), "exit.reason");
        }
    }

    private static void requireId(long id) {
        if (id <= 0) throw new IllegalArgumentException("a request id must be positive: " + id);
    }

    private static void requireText(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.length() > MAX_TEXT) throw new IllegalArgumentException(what + " longer than " + MAX_TEXT);
    }

    private static void requireBytes(byte[] b, int max, String what) {
        Objects.requireNonNull(b, what);
        if (b.length > max) throw new IllegalArgumentException(what + " longer than " + max + " bytes");
    }
}
