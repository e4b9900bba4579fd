package org.viridian.management.testing;

import java.nio.file.Path;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.service.SwitchService;
import org.viridian.management.worker.WorkerEngine;

/**
 * A service in its own JVM for the crash tests (killed with SIGKILL): args STATE-DIR [scripted|kvm|worker-scripted]
 * (worker-scripted: each VM in a worker process running the scripted engine). Prints "serving URL" once it listens. It
 * owns only the switches it made (tests share the host).
 */
public final class ServiceProcess {
    public static void main(String[] args) throws Exception {
        ServiceOptions o = new ServiceOptions(Path.of(args[0]), "127.0.0.1", 0, null, false);
        ManagementService s = ManagementService.start(
                o,
                switch (args.length > 1 ? args[1] : "scripted") {
                    case "kvm" -> null;
                    case "worker-scripted" -> WorkerEngine.running(o.stateDir(), ScriptedEngine.class.getName());
                    default -> new ScriptedEngine();
                },
                SwitchService.HostAccess.shared());
        System.out.println("serving " + s.url());
        System.out.flush();
        Thread.currentThread().join();
    }
}
