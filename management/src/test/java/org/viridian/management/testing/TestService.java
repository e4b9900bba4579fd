package org.viridian.management.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.api.ApiServer;
import org.viridian.management.service.SwitchService;
import org.viridian.management.service.VmEngine;

/** An in-process service on an ephemeral loopback port with its own state directory. */
public final class TestService implements AutoCloseable {
    public final Path stateDir;
    public final ManagementService service;
    public final ApiClient api;

    private TestService(Path stateDir, ManagementService service) {
        this.stateDir = stateDir;
        this.service = service;
        this.api = new ApiClient(service.url());
    }

    public static TestService scripted() {
        return start(tempDir(), new ScriptedEngine(), false, null);
    }

    /** A scripted service whose host allows memory over-commit (admission then checks processors only). */
    public static TestService scriptedWithMemoryOvercommit() {
        return start(
                new ServiceOptions(tempDir(), "127.0.0.1", 0, null, false, true),
                new ScriptedEngine(),
                SwitchService.HostAccess.shared());
    }

    public static TestService start(ServiceOptions options, VmEngine engine, SwitchService.HostAccess network) {
        try {
            return new TestService(options.stateDir(), ManagementService.start(options, engine, network));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestService start(Path stateDir, VmEngine engine, boolean auth, ApiServer.Tls tls) {
        return start(stateDir, engine, auth, tls, SwitchService.HostAccess.shared());
    }

    /**
     * {@code network}: the host's switches; tests share the host with each other, so a service owns only the
     * switches it made ({@link SwitchService.HostAccess#shared}).
     */
    public static TestService start(
            Path stateDir, VmEngine engine, boolean auth, ApiServer.Tls tls, SwitchService.HostAccess network) {
        try {
            return new TestService(
                    stateDir,
                    ManagementService.start(new ServiceOptions(stateDir, "127.0.0.1", 0, tls, auth), engine, network));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path tempDir() {
        try {
            return Files.createTempDirectory("viridian-state");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        service.close();
    }
}
