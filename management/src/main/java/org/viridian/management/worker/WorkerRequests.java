package org.viridian.management.worker;

import java.io.IOException;
import java.util.function.Consumer;
import org.viridian.management.service.RunningVm;
import org.viridian.management.worker.WorkerMessage.Failed;
import org.viridian.management.worker.WorkerMessage.Failure;
import org.viridian.management.worker.WorkerMessage.Reply;
import org.viridian.management.worker.WorkerMessage.Request;
import org.viridian.management.worker.WorkerMessage.RunState;

/** Executes the service's requests on the worker's VM; what the VM throws becomes a {@link Failed} reply. */
final class WorkerRequests {
    private static final System.Logger LOG = System.getLogger(WorkerRequests.class.getName());
    private final RunningVm vm;
    /** Where a saved state is written (see {@link WorkerMessage.Save}). */
    private final java.nio.file.Path runtimeDir;

    private final Consumer<RunState> stateChanged;
    private volatile RunState state = RunState.RUNNING;

    WorkerRequests(RunningVm vm, java.nio.file.Path runtimeDir, Consumer<RunState> stateChanged) {
        this.vm = vm;
        this.runtimeDir = runtimeDir;
        this.stateChanged = stateChanged;
    }

    RunState state() {
        return state;
    }

    Reply execute(Request r) {
        try {
            return switch (r) {
                case WorkerMessage.Pause p -> {
                    vm.pause();
                    moved(RunState.PAUSED);
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.Resume p -> {
                    vm.resume();
                    moved(RunState.RUNNING);
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.PowerOff p -> {
                    vm.powerOff(p.why());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.RequestShutdown p -> new WorkerMessage.Answer(p.id(), vm.requestShutdown());
                case WorkerMessage.SendInput p -> {
                    vm.sendInput(p.bytes());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.AttachDisk p -> {
                    vm.attachDisk(p.disk());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.UpdateDisk p -> {
                    vm.updateDisk(p.disk());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.DetachDisk p -> {
                    vm.detachDisk(p.slot());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.AddAdapter p -> {
                    vm.addNetworkAdapter(p.adapter());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.RemoveAdapter p -> {
                    vm.removeNetworkAdapter(p.adapter());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.UpdateAdapter p -> {
                    vm.updateNetworkAdapter(p.from(), p.to());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.ReadFlightRecorder p -> new WorkerMessage.Recorder(p.id(), vm.flightRecorder());
                case WorkerMessage.ReadMetrics p -> new WorkerMessage.Metrics(p.id(), vm.metrics());
                case WorkerMessage.Save p -> {
                    vm.save(runtimeDir.resolve(p.file()));
                    moved(RunState.PAUSED);
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.ReadScreenshot p -> {
                    byte[] png = vm.screenshot();
                    if (png.length > WorkerMessage.MAX_SCREENSHOT)
                        throw new UnsupportedOperationException(
                                "a screenshot of " + png.length + " bytes is larger than one worker frame carries");
                    yield new WorkerMessage.Screenshot(p.id(), png);
                }
                case WorkerMessage.ReadScreenChanges p -> screenChanges(p.id(), p.all());
                case WorkerMessage.SendKeys p -> {
                    vm.keys(p.keys());
                    yield new WorkerMessage.Done(p.id());
                }
                case WorkerMessage.SendPointer p -> {
                    vm.pointer(p.pointer());
                    yield new WorkerMessage.Done(p.id());
                }
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(r, Failure.ILLEGAL_STATE, "interrupted");
        } catch (IllegalArgumentException e) {
            return failed(r, Failure.ILLEGAL_ARGUMENT, e.getMessage());
        } catch (UnsupportedOperationException e) {
            return failed(r, Failure.UNSUPPORTED, e.getMessage());
        } catch (IOException e) {
            return failed(r, Failure.IO, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, r.getClass().getSimpleName() + " failed", e);
            return failed(r, Failure.ILLEGAL_STATE, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** The VM's screen changes, each tile's pixels deflated for the socket. */
    private WorkerMessage.ScreenChanges screenChanges(long id, boolean all) {
        var c = vm.screenChanges(WorkerMessage.MAX_SCREEN_PIXELS, all);
        if (c == null) return new WorkerMessage.ScreenChanges(id, 0, 0, false, true, java.util.List.of());
        var tiles = c.regions().stream()
                .map(r -> new WorkerMessage.ScreenTile(
                        r.x(),
                        r.y(),
                        r.pixels().width(),
                        r.pixels().height(),
                        r.pixels().deflated()))
                .toList();
        return new WorkerMessage.ScreenChanges(id, c.width(), c.height(), c.resized(), c.complete(), tiles);
    }

    private void moved(RunState s) {
        state = s;
        stateChanged.accept(s);
    }

    private static Failed failed(Request r, Failure f, String message) {
        String m = message == null ? f.name().toLowerCase(java.util.Locale.ROOT) : message;
        return new Failed(r.id(), f, m.length() > WorkerMessage.MAX_TEXT ? m.substring(0, WorkerMessage.MAX_TEXT) : m);
    }
}
